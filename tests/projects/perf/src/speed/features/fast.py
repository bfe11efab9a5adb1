"""Cheap to import and build."""


class FastFeature:
    """Does almost nothing."""

    def run(self) -> int:
        return 1
