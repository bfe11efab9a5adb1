"""Beta."""


class BetaService:
    """The beta service."""

    def value(self) -> str:
        return "beta"
