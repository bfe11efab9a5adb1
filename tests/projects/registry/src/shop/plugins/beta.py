"""The beta plugin."""

from shop.base import Base


class BetaPlugin(Base):
    """Doubles."""

    def apply(self, value: int) -> int:
        """``value`` doubled."""
        return value * 2

    def label(self, value: int) -> str:
        """``value`` as a label."""
        return f"beta:{value}"
