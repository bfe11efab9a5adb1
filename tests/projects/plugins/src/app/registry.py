"""Plugins by name: every name listed in plugins.txt, imported from app.plugins."""

import importlib
from pathlib import Path

LOADED: dict[str, object] = {}


def load_all() -> dict[str, object]:
    """Import every listed plugin module."""
    for name in (Path(__file__).parent / "plugins.txt").read_text().split():
        LOADED[name] = importlib.import_module(f"app.plugins.{name}")
    return LOADED


EXTRA = ["gamma"]


def load(names: list[str], package: str = "app.plugins") -> dict[str, object]:
    """Import the named plugin modules of ``package`` (a registry called with arguments)."""
    for name in names:
        LOADED[name] = importlib.import_module(f"{package}.{name}")
    return LOADED
