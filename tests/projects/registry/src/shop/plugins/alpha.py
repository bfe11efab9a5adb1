"""The alpha plugin."""

from shop.base import Base


class AlphaPlugin(Base):
    """Adds one."""

    def apply(self, value: int) -> int:
        """``value`` plus one."""
        return value + 1
