"""no_tests: No test file imports this module."""


class NoTestsFeature:
    """No test file imports this module."""

    def __init__(self) -> None:
        self.ready = True

    def run(self, value: int) -> int:
        """Double ``value``."""
        return value * 2
