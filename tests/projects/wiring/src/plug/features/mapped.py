"""mapped: a widget."""


class MappedWidget:
    """A widget that renders its label."""

    def __init__(self) -> None:
        self.label = "mapped"

    def render(self) -> str:
        """The label in brackets."""
        return f"[{self.label}]"
