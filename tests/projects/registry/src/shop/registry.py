"""Plugins by name, each module imported once per process."""

import importlib

from shop.base import Base

NAMES = ["alpha", "beta", "gamma", "delta"]
_loaded: dict[str, type[Base]] = {}


def load(name: str) -> type[Base]:
    """The plugin class called ``name``."""
    if name not in _loaded:
        module = importlib.import_module(f"shop.plugins.{name}")
        _loaded[name] = getattr(module, f"{name.title()}Plugin")
    return _loaded[name]


def undo(names: list[str], value: int) -> int:
    """``value`` through every named plugin's ``reverse``."""
    for name in names:
        value = load(name)().reverse(value)  # type: ignore[attr-defined]
    return value
