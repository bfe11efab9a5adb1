from shop.base import Base
from shop.registry import NAMES, load


def test_every_plugin_loads_and_constructs() -> None:
    for name in NAMES:
        assert isinstance(load(name)(), Base)
