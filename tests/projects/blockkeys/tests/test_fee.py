from shop.features.fee import FeeService


def test_fee():
    assert FeeService().run() == 20
