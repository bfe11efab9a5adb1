"""The gamma plugin."""

from shop.base import Base


class GammaPlugin(Base):
    """Triples, and back."""

    def apply(self, value: int) -> int:
        """``value`` tripled."""
        return value * 3

    def reverse(self, value: int) -> int:
        """``value`` divided by three."""
        return value // 3
