from app.features.gamma import GammaService


def test_value():
    assert GammaService().value()
