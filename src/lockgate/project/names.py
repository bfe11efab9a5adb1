"""Spellings of a class name used in guide and test file templates."""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """``HTTPClientAgent`` → ``http_client_agent``."""
    return _BOUNDARY.sub("_", name).lower()


def kebab(name: str) -> str:
    """``HTTPClientAgent`` → ``http-client-agent``."""
    return snake(name).replace("_", "-")
