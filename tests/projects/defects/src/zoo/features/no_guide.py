"""no_guide: Has a docstring, tests and wiring, but no guide."""


class NoGuideFeature:
    """Has a docstring, tests and wiring, but no guide."""

    def __init__(self) -> None:
        self.ready = True

    def run(self, value: int) -> int:
        """Double ``value``."""
        return value * 2
