"""The delta plugin."""

from shop.base import Base


class DeltaPlugin(Base):
    """Negates."""

    def apply(self, value: int) -> int:
        """``value`` negated."""
        return -value
