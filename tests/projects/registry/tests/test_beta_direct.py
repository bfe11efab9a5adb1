from shop.plugins.beta import BetaPlugin


def test_beta_doubles() -> None:
    assert BetaPlugin().apply(2) == 4


def test_beta_labels() -> None:
    assert BetaPlugin().label(2) == "beta:2"
