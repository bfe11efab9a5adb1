"""Cart: what a customer is about to buy."""

from dataclasses import dataclass

from shop.money import fmt


@dataclass
class LineItem:
    """One product in the cart (not a service: does not match ``*Service``)."""

    sku: str
    unit_cents: int
    quantity: int = 1


class CartService:
    """Keeps line items and totals them."""

    def __init__(self) -> None:
        self.items: list[LineItem] = []

    def add(self, sku: str, unit_cents: int, quantity: int = 1) -> None:
        """Add ``quantity`` units of ``sku``."""
        self.items.append(LineItem(sku, unit_cents, quantity))

    def total(self) -> str:
        """The cart total, formatted."""
        return fmt(sum(i.unit_cents * i.quantity for i in self.items))
