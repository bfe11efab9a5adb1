"""``--out``: the package written to a folder or a ``.tar.gz``, atomically, replacing only an
earlier package."""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import tempfile
import time
from pathlib import Path

from lockgate import git
from lockgate.deploy.package.inspect import EXEC, INFO, Package
from lockgate.errors import LockgateError

__all__ = ["check_out_path", "write_out"]


def check_out_path(out: Path) -> None:
    """Raise unless ``out`` can be written: its folder exists and it replaces no foreign data."""
    if not out.parent.is_dir():
        raise LockgateError(f"--out {out}: folder {out.parent} does not exist")
    if out.name.endswith(".tar.gz"):
        if out.is_dir():
            raise LockgateError(f"--out {out}: is a folder, not an archive")
    elif out.exists() and not _replaceable(out):
        raise LockgateError(
            f"--out {out}: exists and is not an earlier lockgate package; choose an empty "
            "or new folder"
        )


def write_out(root: Path, package: Package, out: Path) -> None:
    """Write the package to folder ``out`` (or a ``.tar.gz`` when named so), atomically."""
    check_out_path(out)
    if out.name.endswith(".tar.gz"):
        _write_archive(root, package, out)
    else:
        _write_folder(root, package, out)


def _replaceable(out: Path) -> bool:
    if not out.is_dir():
        return False
    if not any(out.iterdir()):
        return True
    try:
        return "lockgate" in json.loads((out / INFO).read_text())
    except (OSError, ValueError):
        return False


def _contents(root: Path, package: Package) -> list[tuple[str, str, bytes]]:
    """``(path, mode, data)`` for every file of the package, in path order."""
    entries = [git.TreeEntry(f.mode, "blob", f.sha, f.size, f.path) for f in package.files]
    blobs = package.source.read(root, entries)
    out = [(f.path, f.mode, data) for f, data in zip(package.files, blobs, strict=True)]
    out += [(path, "100644", data) for path, data in package.generated.items()]
    return sorted(out)


def _write_folder(root: Path, package: Package, out: Path) -> None:
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for path, mode, data in _contents(root, package):
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if mode == git.SYMLINK:
                target.symlink_to(os.fsdecode(data))
                continue
            target.write_bytes(data)
            target.chmod(0o755 if mode == EXEC else 0o644)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            out.rename(old / out.name)
        os.replace(staging, out)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_archive(root: Path, package: Package, out: Path) -> None:
    now = int(time.time())
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh, tarfile.open(fileobj=fh, mode="w:gz") as tar:
            for path, mode, data in _contents(root, package):
                info = tarfile.TarInfo(path)
                info.mtime = now
                if mode == git.SYMLINK:
                    info.type, info.linkname = tarfile.SYMTYPE, os.fsdecode(data)
                    tar.addfile(info)
                    continue
                info.size, info.mode = len(data), 0o755 if mode == EXEC else 0o644
                tar.addfile(info, io.BytesIO(data))
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
