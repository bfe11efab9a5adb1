"""The lonely part."""


class LonelyPart:
    """A part that answers."""

    def answer(self) -> int:
        return 42
