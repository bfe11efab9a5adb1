"""Observations turned into inputs: where a path belongs (the project, the environment or
elsewhere), which absent files would change how a module is found, and which owners a test
file reached through its imports (see :mod:`.observe` for owners).
"""

from __future__ import annotations

import importlib.machinery
import os
import site
import sys
from collections.abc import Iterator
from typing import Any

from lockgate.execution.child.naming import ABOVE, CONFIGURATION_FILES

_SUFFIXES = (
    *importlib.machinery.EXTENSION_SUFFIXES,
    *importlib.machinery.SOURCE_SUFFIXES,
    *importlib.machinery.BYTECODE_SUFFIXES,
)
_NATIVE = tuple(importlib.machinery.EXTENSION_SUFFIXES)
_VIRTUAL = (f"{os.sep}proc{os.sep}", f"{os.sep}sys{os.sep}", f"{os.sep}dev{os.sep}")
# Fingerprinted distributions' metadata (the environment fingerprint covers them).
_DISTRIBUTION = (".dist-info", ".egg-info")


class Paths:
    """Where a path belongs: inside the project (kept, relative), in the environment or the
    run's own folders (dropped), or elsewhere (kept, absolute: an editable install's sources).

    An environment inside the project (``.venv``) is the environment, not the project: its
    files are dropped as they would be elsewhere, so that a clone with its venv inside and one
    with its venv outside record the same inputs. The project wins over an environment that
    holds it (a project under ``/usr`` with the system's Python): nothing of it is dropped.
    """

    def __init__(self, root: str, drop: list[str], mirror: str | None = None) -> None:
        self.root = os.path.abspath(root)
        self._inside = self.root.rstrip(os.sep) + os.sep
        self._own = self._inside + ".lockgate" + os.sep
        self._drop = tuple(p.rstrip(os.sep) + os.sep for p in drop if p) + _VIRTUAL
        self._drop_inside = tuple(p for p in self._drop if p.startswith(self._inside))
        # A sandbox holds the project at ``mirror + root`` (lockgate.execution.sandbox): every path
        # below ``mirror`` is the real path it copies, so inputs are named as without one.
        self._mirror = mirror.rstrip(os.sep) if mirror else None

    @property
    def signature(self) -> tuple[str, tuple[str, ...], str | None]:
        """What decides every answer of this object."""
        return (self.root, self._drop, self._mirror)

    def real(self, path: str) -> str:
        """``path`` as outside the sandbox (unchanged when it is not in the sandbox)."""
        mirror = self._mirror
        if mirror is not None and path.startswith(mirror + os.sep):
            return path[len(mirror) :]
        return path

    def key(self, path: str) -> str | None:
        """The input name of ``path`` (absolute), or None when it is not an input."""
        path = self.real(os.path.normpath(path))
        if path.startswith(self._inside):
            if (
                path.startswith(self._own)
                or path.startswith(self._drop_inside)
                or f"{os.sep}__pycache__{os.sep}" in path
            ):
                return None
            return path[len(self._inside) :].replace(os.sep, "/")
        if path == self.root or path.startswith(self._drop):
            return None
        below = path + os.sep
        if self._inside.startswith(below) or any(d.startswith(below) for d in self._drop):
            # a folder that holds the project or a dropped folder (resolving a path looks at
            # each one): it is one while they exist, and naming it would tie a result to
            # where they lie on this machine
            return None
        folder, name = os.path.split(path)
        if name in CONFIGURATION_FILES and self._inside.startswith(folder.rstrip(os.sep) + os.sep):
            return name + ABOVE  # a configuration file above the root, wherever that lies
        parent = os.path.basename(folder)
        if parent.endswith(_DISTRIBUTION) or parent == "__pycache__":
            return None  # fingerprinted distributions; bytecode is checked against its source
        return path

    def folder(self, path: str) -> str | None:
        """The input name of a folder (``""`` for the root itself), or None."""
        path = self.real(os.path.normpath(path))
        if path == self.root:
            return ""
        found = self.key(path)
        return None if found is None else found + "/"


def _candidates(fullname: str, dirs: list[str], where: str | None, paths: Paths) -> Iterator[str]:
    """Files (and folders, ending in "/") whose creation would change how ``fullname`` is
    found: in every folder searched before the one it was found in (the project's, and any
    outside the environment, such as a PYTHONPATH folder), and the forms that take precedence
    over it in that folder. Absent ones stay absent, or the result goes."""
    tail = fullname.rpartition(".")[2]
    forms = [f"{tail}/__init__{s}" for s in _SUFFIXES] + [f"{tail}{s}" for s in _SUFFIXES]
    for entry in dirs:
        folder = paths.real(os.path.abspath(os.path.join(paths.root, entry or ".")))
        base = paths.folder(folder)
        found = None
        if where:
            rel = os.path.relpath(paths.real(os.path.normpath(where)), folder)
            rel = rel.replace(os.sep, "/")
            if rel in forms:
                found = forms.index(rel)
        if base is not None:  # a project folder, or one outside the environment
            yield from (base + form for form in forms[:found])
            if where is None or where == "":
                yield f"{base}{tail}/"  # a folder there would be a namespace package
        if found is not None:
            return


# Per owner, its summary and what it was made from (see summarize).
_SUMMARIES: dict[str, tuple[Any, dict[str, Any]]] = {}


def summarize(report: dict[str, Any], paths: Paths) -> dict[str, Any]:
    """Per owner: the input files, absent candidates and listed folders, plus which owners
    each owner's imports lead to.

    An owner's observations only grow, so one whose counts, the files its imports resolved to
    and ``paths`` are those of an earlier summary has that summary: a test child summarizes
    what it observed before forking once, and each fork per test file (:mod:`.per_file`)
    inherits it instead of summarizing it again.
    """
    modules: dict[str, str] = report["modules"]
    owners: dict[str, Any] = {}
    for owner, seen in report["owners"].items():
        wanted = {
            ".".join(parts[:i])
            for parts in (n.split(".") for n in seen["imports"])
            for i in range(1, len(parts) + 1)
        }
        stamp = (
            paths.signature,
            tuple(
                len(seen.get(k, ()))
                for k in ("reads", "data", "imports", "absent", "lists", "native")
            ),
            len(seen["lookups"]),
            bool(seen.get("spawned")),
            tuple(seen.get("bypassed", ())),
            tuple(sorted((name, modules.get(name)) for name in wanted)),
        )
        known = _SUMMARIES.get(owner)
        if known is not None and known[0] == stamp:
            owners[owner] = known[1]
            continue
        owners[owner] = _summary(seen, wanted, modules, paths)
        _SUMMARIES[owner] = (stamp, owners[owner])
    return owners


def _summary(
    seen: dict[str, Any], wanted: set[str], modules: dict[str, str], paths: Paths
) -> dict[str, Any]:
    """One owner's summary (see summarize)."""
    files = {paths.key(p) for p in seen["reads"] if not os.path.isdir(p)}
    data = {
        key
        for p in seen.get("data", ())
        if not os.path.isdir(p) and (key := paths.key(p)) is not None
    }
    edges = set()
    imported = set()  # the files of modules this owner's own import statements named
    for name in wanted:
        file = modules.get(name)
        if file:
            files.add(paths.key(os.path.abspath(file)))
            imported.add(paths.key(os.path.abspath(file)))
            edges.add("mod:" + file)
    # native code that is an input (the project's, not the environment's): a library or
    # database extension it loaded, and extension modules its imports loaded
    native = {paths.key(p) for p in seen.get("native", ())}
    native.update(f for f in imported if f is not None and f.endswith(_NATIVE))
    native.discard(None)
    probes = {paths.folder(p) if p.endswith(os.sep) else paths.key(p) for p in seen["absent"]}
    for fullname, dirs, where in seen["lookups"]:
        probes.update(_candidates(fullname, dirs, where, paths))
    lists = {paths.folder(p) for p in seen["lists"]}
    files.discard(None)
    probes.discard(None)
    probes.discard("")  # the project root is there
    lists.discard(None)
    imported.discard(None)
    return {
        "files": sorted(files),
        "data": sorted(data),
        "spawned": bool(seen.get("spawned")),
        "native": sorted(f for f in native if f is not None),
        "bypassed": list(seen.get("bypassed", ())),
        "imported": sorted(imported),
        "probes": sorted(probes),
        "lists": sorted(lists),
        "edges": sorted(edges),
    }


def direct(report: dict[str, Any], paths: Paths) -> dict[str, list[str]]:
    """Per test file, the project files of the modules its own code imported by name."""
    modules: dict[str, str] = report["modules"]
    out: dict[str, list[str]] = {}
    for test, names in report.get("direct", {}).items():
        files = {paths.key(os.path.abspath(modules[n])) for n in names if n in modules}
        files.discard(None)
        out[test] = sorted(f for f in files if f is not None)
    return out


def reach(owners: dict[str, Any], starts: list[str]) -> list[str]:
    """The owners reached from ``starts`` through imports."""
    seen = {s for s in starts if s in owners}
    stack = list(seen)
    while stack:
        for nxt in owners[stack.pop()]["edges"]:
            if nxt in owners and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return sorted(seen)


def environment_folders(*own: str) -> list[str]:
    """Folders whose files are the environment's, not the project's: the interpreter, the
    installed distributions (the environment fingerprint covers them), lockgate itself, and
    ``own`` (the run's bytecode cache and temporary folders)."""
    lockgate = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))  # child/ → lockgate/
    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, lockgate}
    folders.update(site.getsitepackages())
    folders.add(site.getusersitepackages())
    folders.update(own)
    return sorted(os.path.abspath(f) for f in folders if f)
