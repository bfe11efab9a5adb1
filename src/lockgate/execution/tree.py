"""The validated tree as one content-addressed archive, for units that run on other machines.

A Dask worker (:mod:`.dask_units`) receives the tree once per run: every file a sandbox's place
holds (:attr:`.sandbox.Sandbox.manifest`) and the pytest configuration files above the root,
each at its absolute path, in one tar named by the hash of its bytes. The worker unpacks it once
into a folder named by that hash and builds its places from there, so what the units see is
what the keys describe, wherever they run.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tarfile
import threading
from dataclasses import dataclass
from pathlib import Path

from lockgate.execution.child.naming import CONFIGURATION_FILES
from lockgate.execution.sandbox import Sandbox
from lockgate.keys.hashing import digest


@dataclass(frozen=True)
class Tree:
    """The archive, its hash, the root it was taken from and the paths a place holds."""

    digest: str
    data: bytes
    root: str  # the client's project root (resolved)
    manifest: tuple[str, ...]


def pack(sandbox: Sandbox) -> Tree:
    """The tree ``sandbox``'s places hold, as one archive (absolute links into the root are
    made relative, so they point into the copy wherever it is unpacked)."""
    root = str(sandbox.root)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        above = Path(root).parent
        for folder in [above, *above.parents]:
            for name in CONFIGURATION_FILES:
                _add(tar, os.path.join(str(folder), name), root)
        for rel in sandbox.manifest:
            _add(tar, os.path.join(root, rel), root)
    data = buffer.getvalue()
    return Tree(digest(data), data, root, tuple(sandbox.manifest))


def _add(tar: tarfile.TarFile, path: str, root: str) -> None:
    try:
        info = os.lstat(path)
    except OSError:
        return  # deleted in the work tree, or a folder above without that file
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
        return  # a submodule's folder or a socket: no place of a worker holds it
    member = tar.gettarinfo(path, arcname=path.lstrip("/"))
    member.uid = member.gid = 0
    member.uname = member.gname = ""
    if member.issym() and os.path.isabs(member.linkname):
        target = member.linkname
        if target == root or target.startswith(root + os.sep):
            member.linkname = os.path.relpath(target, os.path.dirname(path))
    if member.isreg():
        with open(path, "rb") as fh:
            tar.addfile(member, fh)
    else:
        tar.addfile(member)


_unpacking = threading.Lock()


def unpack(tree: Tree, folder: Path) -> Path:
    """The root of ``tree``'s copy under ``folder`` (``<folder>/<hash>/<root>``), unpacked on
    first use and kept by its hash for every later unit."""
    home = folder / tree.digest
    with _unpacking:
        if not home.is_dir():
            partial = folder / f"{tree.digest}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            with tarfile.open(fileobj=io.BytesIO(tree.data), mode="r") as tar:
                tar.extractall(partial, filter="tar")
            (partial / tree.root.lstrip("/")).mkdir(parents=True, exist_ok=True)
            partial.rename(home)
    return Path(os.path.realpath(home)) / tree.root.lstrip("/")
