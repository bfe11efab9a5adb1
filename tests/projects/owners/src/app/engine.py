"""Loads extensions by dotted path, as frameworks do from settings."""

import importlib


def load(path: str) -> object:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)()
