"""scripted: a widget."""


class ScriptedWidget:
    """A widget that renders its label."""

    def __init__(self) -> None:
        self.label = "scripted"

    def render(self) -> str:
        """The label in brackets."""
        return f"[{self.label}]"
