"""Dumps state."""


class DumpTool:
    """Its debugging helper is excluded by the project's coverage configuration."""

    def run(self) -> int:
        return 1

    def debug_dump(self) -> str:
        text = repr(self)
        return text
