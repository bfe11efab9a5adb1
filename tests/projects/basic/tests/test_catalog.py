import pytest

from shop.features.catalog import CatalogService


def test_price_and_describe():
    catalog = CatalogService()
    assert catalog.price("tea") == 450
    assert catalog.describe() == "catalog of 2 products"
    with pytest.raises(KeyError):
        catalog.price("cake")
