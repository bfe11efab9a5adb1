from app.features.beta import BetaService


def test_value():
    assert BetaService().value() == "beta"
