"""Stock: what the warehouse holds."""

from depot.units import positive


class StockService:
    """Counts units per SKU."""

    def __init__(self) -> None:
        self.units = {"bolt": 10, "nut": 25}

    def take(self, sku: str, quantity: int) -> int:
        """Remove ``quantity`` units of ``sku`` and return what is left."""
        left = self.units[sku] - positive(quantity)
        if left < 0:
            raise ValueError(f"only {self.units[sku]} {sku} left")
        self.units[sku] = left
        return left
