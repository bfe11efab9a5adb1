from shop.features.rate import RateService


def test_rate():
    assert RateService().run() == 2
