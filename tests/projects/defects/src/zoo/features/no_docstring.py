"""no_docstring: the class below has no docstring (this module docstring does not count)."""


class NoDocstringFeature:
    def __init__(self) -> None:
        self.ready = True

    def run(self, value: int) -> int:
        return value * 2
