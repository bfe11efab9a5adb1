"""Gamma."""

from app.helpers.accents import greeting


class GammaService:
    """The gamma service."""

    def value(self) -> str:
        return greeting()
