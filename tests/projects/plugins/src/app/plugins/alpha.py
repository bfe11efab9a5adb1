"""The alpha plugin."""


class AlphaPlugin:
    """Says its name."""

    def name(self) -> str:
        return "alpha"
