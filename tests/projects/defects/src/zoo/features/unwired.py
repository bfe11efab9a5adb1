"""unwired: Not named by any entry point or map file."""


class UnwiredFeature:
    """Not named by any entry point or map file."""

    def __init__(self) -> None:
        self.ready = True

    def run(self, value: int) -> int:
        """Double ``value``."""
        return value * 2
