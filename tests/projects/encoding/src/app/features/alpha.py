"""Alpha."""


class AlphaService:
    """The alpha service."""

    def value(self) -> str:
        return "alpha"
