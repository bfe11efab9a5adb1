"""Plugins by name: every name listed in plugins.txt, imported from app.plugins."""

import importlib
from pathlib import Path

LOADED: dict[str, object] = {}


def load_all() -> dict[str, object]:
    """Import every listed plugin module."""
    for name in (Path(__file__).parent / "plugins.txt").read_text().split():
        LOADED[name] = importlib.import_module(f"app.plugins.{name}")
    return LOADED
