"""Plugins: optional parts found at run time."""

import importlib
import importlib.util

import helpers
from app import legacy

SPEEDUPS = importlib.util.find_spec("app.speedups") is not None


class PluginService:
    """Loads the optional plugins that exist."""

    def __init__(self) -> None:
        self.loaded: list[str] = []
        for name in ("alpha", "beta"):
            try:
                importlib.import_module("app.plugins." + name)
            except ImportError:
                continue
            self.loaded.append(name)

    def speed(self) -> str:
        """Whether the optional speedups exist."""
        return "fast" if SPEEDUPS else "slow"

    def helper(self) -> str:
        """Where the imported ``helpers`` lives."""
        return str(helpers.WHERE)

    def dynamic_helper(self) -> str:
        """Where ``dynhelpers``, imported by name, lives."""
        return str(importlib.import_module("dynhelpers").WHERE)

    def legacy(self) -> str:
        """What ``app.legacy`` is."""
        return str(legacy.KIND)

    def dynamic_legacy(self) -> str:
        """What ``app.oldstyle``, imported by name, is."""
        return str(importlib.import_module("app.oldstyle").KIND)
