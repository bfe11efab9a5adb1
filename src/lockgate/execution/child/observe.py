"""What a worker or test process really did: the files it read, the modules it imported, the
module lookups it made (found or not) and the folders it listed.

Installed in child processes only (standard library only, nothing of lockgate's). Every
observation is filed under an *owner*: the module whose top-level code was running when it
happened (``mod:<file>``), code of a ``conftest.py`` (shared by every test file: ``ctx:``), or
else the current context, the test file being collected or run (``ctx:<file>``). The parent
(:mod:`lockgate.observed`) follows owners from a test file through the modules it imported,
so a module loaded first by another test file still counts for every test file that imports
it, while a test file's own function-level reads count for it alone.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_READ_EVENTS = {"open"}
_LIST_EVENTS = {"os.listdir", "os.scandir"}
# A process started here runs code no coverage of ours sees: block keys fall back to whole files.
_SPAWN_EVENTS = {
    "subprocess.Popen",
    "os.system",
    "os.posix_spawn",
    "os.exec",
    "os.spawn",
    "os.fork",
    "os.forkpty",
}
_SHARED = "ctx:"


class _Seen:
    """What one owner did."""

    __slots__ = ("absent", "data", "imports", "lists", "lookups", "reads", "spawned")

    def __init__(self) -> None:
        self.reads: set[str] = set()
        self.data: set[str] = set()  # the reads not made by the import system loading code
        self.spawned = False  # started a process
        self.imports: set[str] = set()
        self.lookups: set[tuple[str, tuple[str, ...], str | None]] = set()
        self.lists: set[str] = set()
        self.absent: set[str] = set()


def _is_read(mode: object, flags: object) -> bool:
    """True when an open may read what the file held before: not write-only, and neither
    creating it anew nor truncating it."""
    if isinstance(flags, int):
        if flags & (os.O_EXCL | os.O_TRUNC):
            return False
        return flags & os.O_ACCMODE in (os.O_RDONLY, os.O_RDWR)
    if isinstance(mode, str):
        return "r" in mode or "a+" in mode
    return True


def _loads_code(frame: Any) -> bool:
    """True when an open is the import system reading a module's source or bytecode to run
    it (``SourceLoader.get_code`` calling ``get_data``). Anything else read the file as data
    (``inspect.getsource``, ``linecache``, ``open``, ``pkgutil.get_data``): its text, not only
    the code it compiles to, is what the reader saw."""
    caller = frame.f_back
    return (
        frame.f_code.co_name == "get_data"
        and frame.f_code.co_filename.startswith("<frozen importlib")
        and caller is not None
        and caller.f_code.co_name == "get_code"
        and caller.f_code.co_filename.startswith("<frozen importlib")
    )


class Observer:
    """Records, per owner, what the process does once :meth:`install` ran."""

    def __init__(self, ignore: list[str]) -> None:
        # Folders whose files are never inputs: the interpreter's and the run's own.
        self._ignore = tuple(p.rstrip(os.sep) + os.sep for p in ignore if p)
        self.context = ""
        self.paused = False
        self._seen: dict[str, _Seen] = {}
        self._origins: dict[str, str] = {}  # module name → file it was found at
        self._shared_code: set[str] = set()  # project plugin modules, like conftest files
        # Code of the runner frames that call a test or fixture function: nothing below them
        # but the runner itself, so the walk for an owner may stop there (an optimisation).
        self.boundaries: set[Any] = set()
        self._busy = False

    @property
    def shared_code(self) -> frozenset[str]:
        """The files :meth:`share` was given."""
        return frozenset(self._shared_code)

    def share(self, file: str) -> None:
        """Treat code of ``file`` (a project module registered as a pytest plugin) like a
        conftest's: what its fixtures and hooks do serves every test file."""
        self._shared_code.add(file)

    # -- recording -----------------------------------------------------------------------

    def _owner(self, frame: Any) -> str:
        depth = 0
        while frame is not None and depth < 400:
            code = frame.f_code
            if code in self.boundaries:
                break  # below: the test runner calling a test or a fixture, then __main__
            name = code.co_filename
            if name.endswith("conftest.py") or name in self._shared_code:
                return _SHARED  # fixtures and hooks serve every test file
            if code.co_name == "<module>":
                glob = frame.f_globals
                if glob.get("__name__") == "__main__":
                    break
                file = glob.get("__file__")
                if isinstance(file, str):
                    return "mod:" + file
            frame = frame.f_back
            depth += 1
        return "ctx:" + self.context

    def _at(self, frame: Any) -> _Seen:
        owner = self._owner(frame)
        seen = self._seen.get(owner)
        if seen is None:
            seen = self._seen[owner] = _Seen()
        return seen

    def _audit(self, event: str, args: tuple[Any, ...]) -> None:
        if self.paused or self._busy:
            return
        if event in _READ_EVENTS:
            path = args[0]
            if not isinstance(path, str | bytes) or not _is_read(args[1], args[2]):
                return
            path = os.path.abspath(os.fsdecode(path))
            if path.startswith(self._ignore):
                return
            self._busy = True
            try:
                frame = sys._getframe(1)
                seen = self._at(frame)
                seen.reads.add(path)
                if not _loads_code(frame):
                    seen.data.add(path)
            finally:
                self._busy = False
        elif event in _SPAWN_EVENTS:
            self._busy = True
            try:
                self._at(sys._getframe(1)).spawned = True
            finally:
                self._busy = False
        elif event in _LIST_EVENTS:
            path = args[0]
            if isinstance(path, int):
                return  # a folder given by descriptor was opened, and so seen, before
            self._busy = True
            try:
                frame = sys._getframe(1)
                if self._by_tooling(frame):
                    return
                folder = os.path.abspath(os.fsdecode(path) if path is not None else ".")
                self._at(frame).lists.add(folder)
            finally:
                self._busy = False

    def _by_tooling(self, frame: Any) -> bool:
        """True when a listing is made by the import system, pytest, coverage or lockgate:
        their lookups are recorded as such; a listing of theirs is not the project's input."""
        while frame is not None:
            name = frame.f_code.co_filename
            if name.startswith("<frozen importlib") or _METADATA in name:
                return True
            if not name.startswith(self._stdlib):
                return any(part in name for part in _TOOLING)
            frame = frame.f_back
        return False

    _stdlib = os.path.dirname(os.__file__) + os.sep

    def _imported(self, frame: Any, names: Iterator[str]) -> None:
        if self.paused:
            return
        seen = self._at(frame)
        for name in names:
            seen.imports.add(name)

    def _found(
        self, frame: Any, fullname: str, path: Any, spec: importlib.machinery.ModuleSpec | None
    ) -> None:
        if self.paused:
            return
        dirs = tuple(os.fsdecode(p) for p in (sys.path if path is None else path))
        if spec is None:
            where = None
        elif spec.origin and spec.has_location:
            where = spec.origin
            self._origins.setdefault(fullname, spec.origin)
        else:
            where = ""  # a namespace package: its portions are folders
        self._at(frame).lookups.add((fullname, dirs, where))

    @contextmanager
    def probing(self) -> Iterator[Callable[[str, bool], None]]:
        """Record files someone checks for (found or absent) as shared inputs, and nothing
        else, while the block runs (pytest looking for its configuration file)."""
        shared = self._seen.setdefault(_SHARED, _Seen())

        def probe(path: str, present: bool) -> None:
            path = os.path.abspath(path)
            if present:
                shared.reads.add(path)
            else:  # absent, or a folder: its state is what was looked for
                shared.absent.add(path + os.sep if os.path.isdir(path) else path)

        self.paused = True
        try:
            yield probe
        finally:
            self.paused = False

    # -- installing ----------------------------------------------------------------------

    def install(self) -> None:
        """Start observing: an audit hook, and wrappers around the import machinery."""
        observer = self
        real_import = builtins.__import__
        real_import_module = importlib.import_module
        finder = importlib.machinery.PathFinder
        real_find_spec = finder.find_spec.__func__  # type: ignore[attr-defined]

        def absolute(name: str, glob: Any, level: int) -> str:
            if not level:
                return name
            package = (glob or {}).get("__package__") or ""
            try:
                return importlib.util.resolve_name("." * level + name, package)
            except (ImportError, ValueError):
                return name

        def traced_import(
            name: str,
            globals: Any = None,
            locals: Any = None,
            fromlist: Any = (),
            level: int = 0,
        ) -> Any:
            try:
                return real_import(name, globals, locals, fromlist, level)
            finally:  # a failed import is an input too: the file that raised, say
                if not observer.paused:
                    full = absolute(name, globals, level)
                    names = [full, *(f"{full}.{f}" for f in fromlist or () if f != "*")]
                    observer._imported(sys._getframe(1), iter(names))

        def traced_import_module(name: str, package: str | None = None) -> Any:
            try:
                return real_import_module(name, package)
            finally:
                full = absolute(
                    name.lstrip("."), {"__package__": package}, len(name) - len(name.lstrip("."))
                )
                observer._imported(sys._getframe(1), iter([full]))

        def traced_find_spec(
            cls: Any, fullname: str, path: Any = None, target: Any = None
        ) -> importlib.machinery.ModuleSpec | None:
            spec: importlib.machinery.ModuleSpec | None = real_find_spec(
                cls, fullname, path, target
            )
            observer._found(sys._getframe(1), fullname, path, spec)
            return spec

        builtins.__import__ = traced_import
        importlib.import_module = traced_import_module
        finder.find_spec = classmethod(traced_find_spec)  # type: ignore[method-assign,assignment]
        sys.addaudithook(self._audit)

    def reset(self) -> None:
        """Forget what was seen so far (a forked worker child starts afresh)."""
        self._seen.clear()
        self._origins.clear()

    # -- reporting -----------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        """Everything seen, JSON-ready: per owner, and where each module was found."""
        modules = dict(self._origins)
        for name, module in list(sys.modules.items()):
            file = getattr(module, "__file__", None)
            if isinstance(file, str):
                modules.setdefault(name, file)
        return {
            "owners": {
                owner: {
                    "reads": sorted(s.reads),
                    "imports": sorted(s.imports),
                    "lookups": [[n, list(d), w] for n, d, w in s.lookups],
                    "lists": sorted(s.lists),
                    "absent": sorted(s.absent),
                    "data": sorted(s.data),
                    "spawned": s.spawned,
                }
                for owner, s in self._seen.items()
            },
            "modules": modules,
        }


# -- turning observations into inputs ----------------------------------------------------

_SUFFIXES = (
    *importlib.machinery.EXTENSION_SUFFIXES,
    *importlib.machinery.SOURCE_SUFFIXES,
    *importlib.machinery.BYTECODE_SUFFIXES,
)
_VIRTUAL = (f"{os.sep}proc{os.sep}", f"{os.sep}sys{os.sep}", f"{os.sep}dev{os.sep}")


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
        parent = os.path.basename(os.path.dirname(path))
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


def summarize(report: dict[str, Any], paths: Paths) -> dict[str, Any]:
    """Per owner: the input files, absent candidates and listed folders, plus which owners
    each owner's imports lead to."""
    modules: dict[str, str] = report["modules"]
    owners: dict[str, Any] = {}
    for owner, seen in report["owners"].items():
        files = {paths.key(p) for p in seen["reads"] if not os.path.isdir(p)}
        data = {
            key
            for p in seen.get("data", ())
            if not os.path.isdir(p) and (key := paths.key(p)) is not None
        }
        edges = set()
        imported = set()  # the files of modules this owner's own import statements named
        wanted = {
            ".".join(parts[:i])
            for parts in (n.split(".") for n in seen["imports"])
            for i in range(1, len(parts) + 1)
        }
        for name in wanted:
            file = modules.get(name)
            if file:
                files.add(paths.key(os.path.abspath(file)))
                imported.add(paths.key(os.path.abspath(file)))
                edges.add("mod:" + file)
        probes = {paths.folder(p) if p.endswith(os.sep) else paths.key(p) for p in seen["absent"]}
        for fullname, dirs, where in seen["lookups"]:
            probes.update(_candidates(fullname, dirs, where, paths))
        lists = {paths.folder(p) for p in seen["lists"]}
        files.discard(None)
        probes.discard(None)
        probes.discard("")  # the project root is there
        lists.discard(None)
        imported.discard(None)
        owners[owner] = {
            "files": sorted(files),
            "data": sorted(data),
            "spawned": bool(seen.get("spawned")),
            "imported": sorted(imported),
            "probes": sorted(probes),
            "lists": sorted(lists),
            "edges": sorted(edges),
        }
    return owners


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


# Distributions are found by listing every sys.path folder; the environment fingerprint
# covers them, so such listings (and the metadata read) are not the project's inputs.
_METADATA = f"{os.sep}importlib{os.sep}metadata{os.sep}"
_DISTRIBUTION = (".dist-info", ".egg-info")

# Where listings are the tools' own business, not the project's (matched in file paths).
_TOOLING = (
    f"{os.sep}_pytest{os.sep}",
    f"{os.sep}pluggy{os.sep}",
    f"{os.sep}coverage{os.sep}",
    f"{os.sep}lockgate{os.sep}",
)


def environment_folders(*own: str) -> list[str]:
    """Folders whose files are the environment's, not the project's: the interpreter, the
    installed distributions (the environment fingerprint covers them), lockgate itself, and
    ``own`` (the run's bytecode cache and temporary folders)."""
    import site

    lockgate = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))  # child/ → lockgate/
    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, lockgate}
    folders.update(site.getsitepackages())
    folders.add(site.getusersitepackages())
    folders.update(own)
    return sorted(os.path.abspath(f) for f in folders if f)


def stale_bytecode(files: list[str], extra: Callable[[str], str | None] | None = None) -> int:
    """Remove cached bytecode that may not describe its source any more; return how many.

    Python trusts a cached ``.pyc`` when the source's whole-second mtime and size match, so a
    same-size edit within one second, or one whose mtime was set back, would run the old code.
    A source whose ctime (which cannot be set back) is not clearly older than its bytecode
    changed after, or too close to, that bytecode being written: the bytecode is removed and
    the source compiled again. ``extra`` names a second cache file per source (pytest's
    rewritten test modules).
    """
    removed = 0
    for source in files:
        try:
            changed = os.stat(source).st_ctime_ns
        except OSError:
            continue
        caches = [importlib.util.cache_from_source(source)]
        if extra is not None:
            caches.append(extra(source) or "")
        for cache in filter(None, caches):
            try:
                written = os.stat(cache).st_mtime_ns
            except OSError:
                continue
            if written <= changed + _BYTECODE_MARGIN_NS:
                try:
                    os.unlink(cache)
                    removed += 1
                except OSError:
                    pass
    return removed


# Compiling reads the source a moment before the bytecode is written: an edit inside that
# moment would otherwise look older than the bytecode.
_BYTECODE_MARGIN_NS = 2_000_000_000
