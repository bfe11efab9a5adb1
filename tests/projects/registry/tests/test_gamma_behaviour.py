from shop.registry import load


def test_gamma_triples() -> None:
    assert load("gamma")().apply(2) == 6
