"""The fast part."""


class FastPart:
    """A part that answers."""

    def answer(self) -> int:
        return 42
