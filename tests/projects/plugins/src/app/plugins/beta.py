"""The beta plugin."""


class BetaPlugin:
    """Says its name."""

    def name(self) -> str:
        return "beta"
