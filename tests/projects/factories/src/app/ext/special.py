"""Two extensions that a more specific entry builds."""

from app.ext.base import Built


class SpecialExt(Built):
    """Only the special factory may build it."""

    def __init__(self, crawler, mode: str) -> None:
        super().__init__(crawler)
        self.mode = mode


class ExactExt(Built):
    """Its own entry beats every pattern."""
