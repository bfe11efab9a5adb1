"""How many times this process opened each file and folder of its place, and what it changed
there: the parent's watch of the place (:mod:`lockgate.execution.placewatch`) compares it with
every open the kernel saw, so that a process a test started and that read or wrote nothing of
the project is known to have run none of its code.

Counted from the observer's audit hook (:mod:`.observe`) for every event, whoever's (lockgate's
own work too: the kernel sees it as well). Standard library only, as every module of the child.
"""

from __future__ import annotations

import os
from typing import Any

from lockgate.execution.child.naming import named

# Audit events that open a path (a file, or a folder to list it), and where their path is.
_OPENS = {"open": 0, "os.listdir": 0, "os.scandir": 0}
# Audit events that change the tree without an open: where each path is, and its folder's
# descriptor (None: none given).
_CHANGES: dict[str, tuple[tuple[int, int | None], ...]] = {
    "os.remove": ((0, 1),),
    "os.rmdir": ((0, 1),),
    "os.mkdir": ((0, 2),),
    "os.rename": ((0, 2), (1, 3)),  # os.replace too
    "os.symlink": ((1, 2),),
    "os.link": ((1, 3),),
    "os.truncate": ((0, None),),
}


def _writes(mode: object, flags: object) -> bool:
    """True when an open may change the file: opened for writing, created or truncated."""
    if isinstance(flags, int):
        return flags & os.O_ACCMODE != os.O_RDONLY or bool(flags & (os.O_CREAT | os.O_TRUNC))
    return isinstance(mode, str) and any(c in mode for c in "wax+")


class Ledger:
    """The opens and changes of paths under one folder (the place's root), once told which."""

    def __init__(self) -> None:
        self._root: str | None = None
        self.opened: dict[str, int] = {}
        self.changed: set[str] = set()
        self.unknown = False  # a path it could not name: the counts prove nothing

    def count_under(self, root: str) -> None:
        """Count from now on what happens under ``root`` (an absolute folder)."""
        self._root = os.path.normpath(root)

    def reset(self) -> None:
        """Start counting afresh (a forked process: its parent reports what came before)."""
        self.opened = {}
        self.changed = set()
        self.unknown = False

    def note(self, event: str, args: tuple[Any, ...], dir_fd: int | None) -> None:
        """Count the audit event ``event`` (``dir_fd``: the folder of the running ``os.open``)."""
        if self._root is None:
            return
        where = _OPENS.get(event)
        if where is not None:
            path = args[where]
            if isinstance(path, int):
                return  # a descriptor: no new open
            if event != "open":
                path, dir_fd = "." if path is None else path, None
            name = self._name(path, dir_fd)
            if name is not None:
                self.opened[name] = self.opened.get(name, 0) + 1
                if event == "open" and _writes(args[1], args[2]):
                    self.changed.add(name)
            return
        places = _CHANGES.get(event)
        if places is not None:
            for i, j in places:
                folder = args[j] if j is not None and j < len(args) else None
                if i < len(args) and not isinstance(args[i], int):
                    name = self._name(args[i], folder if isinstance(folder, int) else None)
                    if name is not None:
                        self.changed.add(name)

    def _name(self, path: Any, dir_fd: int | None) -> str | None:
        found = named(path, dir_fd if dir_fd is not None and dir_fd >= 0 else None)
        if found is None:
            self.unknown = True
            return None
        name = found[0].rstrip(os.sep) or os.sep
        root = self._root
        assert root is not None
        if name == root or name.startswith(root + os.sep):
            return name
        return None

    def report(self) -> dict[str, Any]:
        """JSON-ready: the open counts, the paths changed, and whether any went unnamed."""
        return {
            "opened": dict(self.opened),
            "changed": sorted(self.changed),
            "unknown": self.unknown,
        }
