"""A module that logs its start under the project's root when it is imported."""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = os.environ.get("APP_BOOT_ROOT")
if _ROOT:
    with open(Path(_ROOT) / "boot.log", "a", encoding="utf-8") as _log:
        _log.write("booted\n")


class BootService:
    """Says it started."""

    def started(self) -> bool:
        return True
