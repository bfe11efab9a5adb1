"""Report files written atomically: a reader sees the old file or the whole new one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from lockgate.errors import LockgateError


def check_folder(flag: str, path: Path) -> None:
    """Refuse, before any work, a report path whose folder does not exist."""
    folder = path.resolve().parent
    if not folder.is_dir():
        raise LockgateError(f"{flag} {path}: folder {folder} does not exist")


def write_report(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    target = path.resolve()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # mkstemp makes the file private; a report is as readable as any file the user writes.
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
