"""The flaky part."""


class FlakyPart:
    """A part that answers."""

    def answer(self) -> int:
        return 42
