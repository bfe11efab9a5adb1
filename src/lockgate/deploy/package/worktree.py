"""The work tree beside the package: whether each shipped file is, byte for byte after git's
own conversion, the file validation ran on.

Validation reads the work tree; a clean deploy ships HEAD's tree. ``git status`` does not prove
them equal: an index entry marked ``--skip-worktree`` (a sparse checkout marks every file it
leaves out) or ``--assume-unchanged`` is never compared, so a committed file can be missing
from the work tree, or hold other bytes, while the tree looks clean. So every shipped file is
compared here: its work-tree bytes equal the blob's, or ``git hash-object`` of the work-tree
file (what ``git add`` would store: line endings and clean filters applied) is the blob's id.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from lockgate import git
from lockgate.keys.hashing import digest
from lockgate.plainfiles import read_regular

__all__ = ["Beside"]


@dataclass
class Beside:
    """What the work tree holds where shipped files are: fed each shipped file as it is read
    (:meth:`add`), then :meth:`finish` asks git about the files whose bytes differ."""

    root: Path
    # shipped files the work tree lacks or holds with other bytes, and why, for the gate
    differs: list[str] = field(default_factory=list)
    # path → lockgate's hash of the work-tree bytes, for files whose bytes differ from the
    # blob's only by git's conversion (CRLF in the work tree, LF in the blob): validation
    # hashed those bytes, and they are what ships once git converts them
    converted: dict[str, str] = field(default_factory=dict)
    _convert: list[tuple[str, str, str]] = field(default_factory=list)  # path, blob, hash

    def add(self, path: str, mode: str, blob: str, data: bytes) -> None:
        """Compare one shipped file (its mode, blob id and bytes) with the work tree."""
        full = self.root / path
        try:
            info = os.lstat(full)
        except OSError:
            self.differs.append(_why(path, "lacks it"))
            return
        if mode == git.SYMLINK:
            if not stat.S_ISLNK(info.st_mode) or os.fsencode(os.readlink(full)) != data:
                self.differs.append(_why(path, "holds another link or file there"))
            return
        if not stat.S_ISREG(info.st_mode):
            self.differs.append(_why(path, "holds something that is not a regular file there"))
            return
        try:
            here = read_regular(full, follow=False)
        except OSError as exc:
            self.differs.append(_why(path, f"cannot read it ({exc.strerror})"))
            return
        if here == data:
            return
        if "\n" in path:
            self.differs.append(_why(path, "holds other bytes"))
        else:
            self._convert.append((path, blob, digest(here)))

    def finish(self) -> Beside:
        """Ask git what the files whose bytes differ would be once converted."""
        ids = git.converted_blobs(self.root, [p for p, _, _ in self._convert])
        for (path, blob, hashed), converted in zip(self._convert, ids, strict=True):
            if converted == blob:
                self.converted[path] = hashed
            else:
                self.differs.append(_why(path, "holds other bytes"))
        self._convert = []
        return self


def _why(path: str, what: str) -> str:
    return (
        f"{path} ships, but the work tree validation ran on {what} (an index flag such as "
        "--skip-worktree or --assume-unchanged, a sparse checkout, or an edit during the run); "
        "validate and ship the same files: restore it (git update-index --no-skip-worktree "
        "--no-assume-unchanged, git checkout) and deploy again"
    )
