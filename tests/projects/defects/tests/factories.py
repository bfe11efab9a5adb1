"""Factories named in [tool.lockgate.instantiate]."""

from zoo.features.ctor_factory import CtorFactoryFeature


def make_ctor_factory() -> CtorFactoryFeature:
    """A CtorFactoryFeature with a fixed name."""
    return CtorFactoryFeature("zoo")
