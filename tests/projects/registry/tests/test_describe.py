from shop.helpers import describe


def test_describe() -> None:
    assert describe(3) == "beta:3"
