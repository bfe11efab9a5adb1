"""grouped: a widget."""


class GroupedWidget:
    """A widget that renders its label."""

    def __init__(self) -> None:
        self.label = "grouped"

    def render(self) -> str:
        """The label in brackets."""
        return f"[{self.label}]"
