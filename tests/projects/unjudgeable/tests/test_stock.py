import pytest

from depot.features.stock import StockService


def test_take():
    stock = StockService()
    assert stock.take("bolt", 4) == 6
    with pytest.raises(ValueError):
        stock.take("bolt", 7)
    with pytest.raises(ValueError):
        stock.take("nut", 0)
