"""The work tree, looked at before the first process of a run starts and after the last ends.

The sandbox keeps tests and imports out of the work tree, but a process that writes to the real
path (hard-coded, read from a file, found by walking up from ``$HOME``) still reaches it:
lockgate does not jail processes. What it can do is notice. Before the first place is built,
:class:`Tripwire` lists every folder of the tree that holds a file a place copies (the root
included): each entry's name, and for a file or link its mode, size, mtime, ctime and inode —
ignored files in those folders too, so a database a test writes by the real path is seen even
when git ignores it. After the run the same folders are listed again: an entry created, removed,
replaced or written since is a change of the repository made while the run's processes ran.

The cost is one ``lstat`` per entry of those folders on each side (the place's build already
pays one per file); a run that runs nothing builds no place and looks at nothing. Not seen:
writes deeper inside a folder that holds no file of the project (inside an ignored ``build/``
that existed already), and writes into ``.git``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable

from lockgate.execution.copier import State, state

_Listing = dict[str, State | None]  # name → state (None for a folder)


class Tripwire:
    """The folders of the work tree that hold the project, as they were when armed."""

    def __init__(self, root: str, manifest: Iterable[str], skip: Iterable[str]) -> None:
        """``root``: the resolved root; ``manifest``: what a place holds (posix, root-relative);
        ``skip``: absolute paths that are lockgate's own (the store, the run's folder)."""
        self.root = root
        self._skip = frozenset(skip)
        folders = {""}
        for path in manifest:
            parts = path.split("/")[:-1]
            folders.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
        self._before = {f: _list(p) for f in sorted(folders) if (p := self._inside(f)) is not None}

    def _inside(self, folder: str) -> str | None:
        """The folder's absolute path, None when it is not a folder of the tree (behind a link
        that leaves it, say): what is there is not the repository's."""
        path = os.path.join(self.root, folder) if folder else self.root
        real = os.path.realpath(path)
        if real != path or not os.path.isdir(path):
            return None
        return path

    def changes(self) -> list[tuple[str, str]]:
        """What changed since: ``(path, change)``, ``path`` root-relative (posix, a folder with
        a trailing ``/``), ``change`` created, modified, removed or replaced by a symlink."""
        found: list[tuple[str, str]] = []
        for folder, before in self._before.items():
            path = os.path.join(self.root, folder) if folder else self.root
            after = _list(path)
            prefix = f"{folder}/" if folder else ""
            for name in sorted(before.keys() | after.keys()):
                if os.path.join(path, name) in self._skip:
                    continue
                change = _change(before, after, name)
                if change:
                    folder_now = (after if name in after else before)[name] is None
                    found.append((prefix + name + ("/" if folder_now else ""), change))
        return found


def _change(before: _Listing, after: _Listing, name: str) -> str:
    """What became of entry ``name`` ("" when nothing did)."""
    if name not in after:
        return "removed"
    if name not in before:
        return "created"
    was, now = before[name], after[name]
    if was == now:
        return ""
    if now is not None and stat.S_ISLNK(now[0]) and (was is None or not stat.S_ISLNK(was[0])):
        return "replaced by a symlink"
    return "modified"


def _list(path: str) -> _Listing:
    """Every entry of the folder at ``path`` ({} when it is gone or cannot be read)."""
    out: _Listing = {}
    try:
        with os.scandir(path) as entries:
            for entry in entries:
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                    out[entry.name] = None if is_dir else state(entry.stat(follow_symlinks=False))
                except OSError:
                    continue  # gone meanwhile
    except OSError:
        return {}
    return out
