from shop.features.add import AddService


def test_add():
    assert AddService().run(2, 3) == 5
