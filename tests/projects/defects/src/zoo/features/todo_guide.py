"""todo_guide: Its guide still contains a placeholder."""


class TodoGuideFeature:
    """Its guide still contains a placeholder."""

    def __init__(self) -> None:
        self.ready = True

    def run(self, value: int) -> int:
        """Double ``value``."""
        return value * 2
