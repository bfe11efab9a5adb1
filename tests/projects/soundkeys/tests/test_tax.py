from app.features.tax import TaxService


def test_regions():
    assert TaxService().regions() == ["eu", "uk", "us"]
