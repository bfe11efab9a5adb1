"""A widget one of whose test classes cannot be collected."""


class ClassErrorWidget:
    """One test class of its test file cannot be collected."""

    def size(self) -> int:
        return 2
