"""Warming the store in the background: one warmer at a time, quietly."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from lockgate.commands.options import Options
from lockgate.pipeline.align import align
from lockgate.project.project import Project
from lockgate.store.store import store_dir


def warm(root: Path, jobs: int) -> bool:
    """Align into the store unless another warmer holds the lock; False when one did."""
    project = Project.open(root)
    folder = store_dir(project.root)
    folder.mkdir(parents=True, exist_ok=True)
    # never through a link (store_dir refused one already; this closes the race)
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(folder / "warm.lock", flags, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        options = Options(quiet=True, jobs=jobs, command="warm")
        align(project.root, options)
        return True
    finally:
        os.close(fd)
