"""Orders: what customers asked for."""

from depot.units import positive


class OrderService:
    """Keeps the order lines (SKU, quantity) in the order they were placed."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, int]] = []

    def place(self, sku: str, quantity: int) -> int:
        """Add a line and return how many lines the order has."""
        self.lines.append((sku, positive(quantity)))
        return len(self.lines)
