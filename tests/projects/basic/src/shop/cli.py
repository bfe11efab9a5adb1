"""Command line of the shop (the ``shop`` script)."""

import sys

from shop.features.cart import CartService
from shop.features.catalog import CatalogService
from shop.features.pricing import PricingService


def main(argv: list[str] | None = None) -> int:
    """Print the discounted total of the SKUs given as arguments."""
    catalog, cart, pricing = CatalogService(), CartService(), PricingService()
    for sku in sys.argv[1:] if argv is None else argv:
        cart.add(sku, catalog.price(sku))
    print(pricing.discounted(cart.total()))
    return 0
