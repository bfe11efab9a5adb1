from shop.features.pricing import PricingService


def test_discounted():
    assert PricingService().discounted("20.00") == "18.00"
    assert PricingService(percent=0).discounted("4.5") == "4.50"
