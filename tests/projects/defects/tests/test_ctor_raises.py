import pytest

from zoo.features.ctor_raises import CtorRaisesFeature


def test_refuses_construction():
    with pytest.raises(ValueError, match="not configured"):
        CtorRaisesFeature()


def test_run():
    assert CtorRaisesFeature.run(2) == 4
