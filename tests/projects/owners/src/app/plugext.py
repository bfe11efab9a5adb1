"""A plugin extension."""


class PlugExt:
    """Owned through a pattern."""

    def name(self) -> str:
        return "plug"
