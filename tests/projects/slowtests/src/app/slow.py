"""The slow part."""


class SlowPart:
    """A part that answers."""

    def answer(self) -> int:
        return 42
