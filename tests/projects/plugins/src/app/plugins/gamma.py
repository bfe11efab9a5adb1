"""The gamma plugin."""


class GammaPlugin:
    """Says its name."""

    def name(self) -> str:
        return "gamma"
