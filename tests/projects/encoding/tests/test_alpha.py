from app.features.alpha import AlphaService


def test_value():
    assert AlphaService().value() == "alpha"
