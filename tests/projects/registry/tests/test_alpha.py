from shop.registry import load


def test_alpha_adds_one() -> None:
    assert load("alpha")().apply(1) == 2
