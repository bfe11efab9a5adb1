"""imported: a widget."""


class ImportedWidget:
    """A widget that renders its label."""

    def __init__(self) -> None:
        self.label = "imported"

    def render(self) -> str:
        """The label in brackets."""
        return f"[{self.label}]"
