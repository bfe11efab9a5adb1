"""unwired: a widget."""


class UnwiredWidget:
    """A widget that renders its label."""

    def __init__(self) -> None:
        self.label = "unwired"

    def render(self) -> str:
        """The label in brackets."""
        return f"[{self.label}]"
