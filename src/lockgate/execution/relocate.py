"""Environment values that locate the project, pointed at a place for the processes run there.

A project that finds its root through a variable (``APP_ROOT=/home/me/app`` in the user's shell
or CI) would have its tests, running in a copy of the tree, write into the real one. Which
variables do that is the project's choice, so it is read off the values, not their names: every
value that is an absolute path to the root or below it — the whole value, or one entry of an
``os.pathsep``-separated list (which, on POSIX, also isolates the path of a ``file:///`` or
``sqlite:////`` URL), given through a symlinked path to the root too — is the same path
in the place, when the place holds it (a file or folder it copied) or the work tree has nothing
there yet (a file a test will create). A path to what the place leaves out on purpose (an
ignored virtual environment, ``node_modules``, an ignored folder of tools) keeps its real value:
the place has nothing to point it at, and a search path into it must still find its programs.
Paths into the run's own folder (the places themselves) are left alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping


class Relocator:
    """Maps environment values into a place: one per sandbox, its answers kept per value."""

    def __init__(self, root: str, manifest: Iterable[str], own: str) -> None:
        """``root``: the resolved project root; ``manifest``: every path a place holds
        (posix, root-relative); ``own``: the run's folder, whose paths are lockgate's own."""
        self.root = root
        self._own = own
        self._files = frozenset(manifest)
        self._folders = frozenset(
            p.rsplit("/", i)[0] for p in self._files for i in range(1, p.count("/") + 1)
        )
        self._seen: dict[str, str | None] = {}

    def env(self, env: Mapping[str, str], place_root: str) -> dict[str, str]:
        """``env`` with every value that points into the project pointing into ``place_root``."""
        return {name: self._value(value, place_root) for name, value in env.items()}

    def _value(self, value: str, place_root: str) -> str:
        if os.sep not in value:
            return value  # no path at all: most values
        parts = value.split(os.pathsep)
        moved = [self._path(part, place_root) for part in parts]
        return value if moved == parts else os.pathsep.join(moved)

    def _path(self, part: str, place_root: str) -> str:
        if part not in self._seen:
            self._seen[part] = self._relative(part) if os.path.isabs(part) else None
        rel = self._seen[part]
        if rel is None:
            return part
        # the slashes a URL puts before its path (``sqlite:////srv/app/x.db`` is split at
        # the colon) and a trailing one stay as they were
        lead = part[: len(part) - len(part.lstrip(os.sep)) - 1]
        tail = os.sep if part.endswith(os.sep) else ""
        return lead + place_root + (os.sep + rel if rel else "") + tail

    def _relative(self, path: str) -> str | None:
        """``path`` relative to the root (``""`` for the root itself) when the place holds it
        or would hold what is created there; None otherwise."""
        norm = os.path.normpath(path)
        if norm == self._own or norm.startswith(self._own + os.sep):
            return None
        rel = self._under(norm)
        if rel is None:
            return None
        return rel if self._holds(rel.replace(os.sep, "/")) else None

    def _under(self, norm: str) -> str | None:
        root = self.root
        if norm == root:
            return ""
        if norm.startswith(root + os.sep):
            return norm[len(root) + 1 :]
        # A symlinked way to the root: the first folder up the path that is the root.
        node, rest = norm, ""
        while True:
            if os.path.realpath(node) == root:
                return rest
            parent, name = os.path.split(node)
            if parent == node:
                return None
            node, rest = parent, name if not rest else f"{name}{os.sep}{rest}"

    def _holds(self, rel: str) -> bool:
        """True when the place holds ``rel`` or, absent from the work tree, the nearest folder
        above it that exists (a test creates it there, in the place)."""
        node = rel
        while node:
            if node in self._files or node in self._folders:
                return True
            if os.path.lexists(os.path.join(self.root, node)):
                # left out of the place, unless behind a folder symlink the place copied
                parts = node.split("/")
                return any("/".join(parts[:i]) in self._files for i in range(1, len(parts)))
            node = node.rpartition("/")[0]
        return True  # the root
