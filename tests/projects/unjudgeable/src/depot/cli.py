"""Command line of the depot (the ``depot`` script)."""

import sys

from depot.features.agents.courier import CourierService
from depot.features.agents.invoices import InvoiceService
from depot.features.orders import OrderService
from depot.features.stock import StockService


def main(argv: list[str] | None = None) -> int:
    """Order one unit of each SKU given, ship it and print the invoice total."""
    stock, orders = StockService(), OrderService()
    courier, invoices = CourierService(), InvoiceService()
    for sku in sys.argv[1:] if argv is None else argv:
        stock.take(sku, 1)
        orders.place(sku, 1)
    courier.ship(len(orders.lines))
    print(invoices.total(orders.lines))
    return 0
