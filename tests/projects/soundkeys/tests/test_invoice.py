import pytest

from app.features.invoice import InvoiceService


@pytest.mark.parametrize(("region", "rate"), InvoiceService.cases())
def test_total(region, rate):
    assert InvoiceService().total(100, region) == 100 + rate
