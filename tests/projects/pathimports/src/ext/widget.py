"""The widget part."""


class WidgetPart:
    """A part that answers."""

    def answer(self) -> int:
        return 42
