import pytest

from app.features.plugin import PluginService


def test_loaded():
    assert PluginService().loaded == ["alpha"]


def test_speed():
    assert PluginService().speed() == "slow"


def test_helpers():
    plugins = PluginService()
    assert plugins.helper() == "root"
    assert plugins.dynamic_helper() == "root"


def test_legacy():
    plugins = PluginService()
    assert plugins.legacy() == "module"
    assert plugins.dynamic_legacy() == "module"


def test_contrib():
    contrib = pytest.importorskip("app.contrib")
    assert contrib.READY == "yes"
