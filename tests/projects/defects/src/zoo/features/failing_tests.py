"""failing_tests: its test fails (deliberate defect scenario)."""


class FailingTestsFeature:
    """Doubles numbers, but its test expects tripling."""

    def __init__(self) -> None:
        self.ready = True

    def run(self, value: int) -> int:
        """Double ``value``."""
        return value * 2
