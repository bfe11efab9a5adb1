"""The alpha part."""


class AlphaPart:
    """Tested by a file only the project's pytest configuration names."""

    def size(self) -> int:
        return len("alpha")
