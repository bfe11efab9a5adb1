"""The gamma part."""


class GammaPart:
    """Tested by a file only the project's pytest configuration names."""

    def size(self) -> int:
        return len("gamma")
