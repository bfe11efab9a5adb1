"""Invoices: what customers pay."""

from depot.units import fmt

PRICES = {"bolt": 35, "nut": 10}


class InvoiceService:
    """Totals order lines at the list price."""

    def total(self, lines: list[tuple[str, int]]) -> str:
        """The amount due for ``lines``, formatted."""
        return fmt(sum(PRICES[sku] * quantity for sku, quantity in lines))
