"""Catalog: the products on sale."""

from shop.features.base import BaseService


class CatalogService(BaseService):
    """Looks up product prices (in cents) by SKU."""

    def __init__(self) -> None:
        self.products = {"tea": 450, "mug": 1200}

    def describe(self) -> str:
        return f"catalog of {len(self.products)} products"

    def price(self, sku: str) -> int:
        """The price of ``sku``; KeyError for unknown products."""
        return self.products[sku]
