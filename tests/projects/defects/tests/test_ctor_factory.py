from tests.factories import make_ctor_factory
from zoo.features.ctor_factory import CtorFactoryFeature


def test_greet():
    feature = make_ctor_factory()
    assert isinstance(feature, CtorFactoryFeature)
    assert feature.greet() == "hello zoo"
