"""One test module covering every generated feature, so the tested layer runs one child."""

from __future__ import annotations

import importlib
import pkgutil

import fleet.features


def test_every_feature_constructs() -> None:
    for info in pkgutil.iter_modules(fleet.features.__path__):
        module = importlib.import_module(f"fleet.features.{info.name}")
        for name in dir(module):
            if name.endswith(("Agent", "Orchestrator")):
                getattr(module, name)()
