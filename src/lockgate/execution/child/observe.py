"""What a worker or test process really did: the files it read, the modules it imported, the
module lookups it made (found or not) and the folders it listed.

Installed in child processes only (standard library only, nothing of lockgate's). Every
observation is filed under an *owner*: the module whose top-level code was running when it
happened (``mod:<file>``), code of a ``conftest.py`` (shared by every test file: ``ctx:``), or
else the current context, the test file being collected or run (``ctx:<file>``).
:mod:`.inputs` follows owners from a test file through the modules it imported, so a module
loaded first by another test file still counts for every test file that imports it, while a
test file's own function-level reads count for it alone.
"""

from __future__ import annotations

import builtins
import copy
import importlib
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from lockgate.execution.child.naming import database_path, named, states
from lockgate.execution.child.opencount import Ledger
from lockgate.execution.child.wrappers import wrap_bypasses, wrap_looks

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
# How a bypass by a started process is named: ``started a process: <program> (<file>)``.
SPAWN = "started a process: "
# Spawns that run this process's code as loaded, with no open: never cleared by a watch.
FORKS = ("os.fork", "os.forkpty")
# Native code loaded from a file: its own reads raise no event (see _Seen.native).
_NATIVE_EVENTS = {"ctypes.dlopen": 0, "sqlite3.load_extension": 1}
# A database's content is its file's and, while one is open, its journal's.
_SQLITE_SIDECARS = ("-journal", "-wal")
_SHARED = "ctx:"


def _program(event: str, args: tuple[Any, ...]) -> str:
    """The program a spawn event starts, by name (``os.fork`` starts none: this Python)."""
    if event == "subprocess.Popen":
        command = args[0] or args[1]
    elif event == "os.system":
        command = args[0]
    elif event == "os.spawn":
        command = args[1]
    elif event in ("os.exec", "os.posix_spawn"):
        command = args[0]
    else:
        return event  # os.fork, os.forkpty
    if isinstance(command, list | tuple):
        command = command[0] if command else ""
    text = os.fsdecode(command) if isinstance(command, str | bytes | os.PathLike) else ""
    words = text.split()
    return os.path.basename(words[0]) if words else event


def _spawned(observer: Observer, frame: Any, event: str, args: tuple[Any, ...]) -> None:
    """A process started (``frame`` made the call): block keys fall back to whole files, and
    say so, naming the program and the project file whose code started it."""
    observer._busy = True
    try:
        seen = observer._at(frame)
        seen.spawned = True
        site = site_of(frame, observer._ignore)
        seen.bypassed.add(f"{SPAWN}{_program(event, args)} ({site})")
    finally:
        observer._busy = False


def site_of(frame: Any, skip: tuple[str, ...]) -> str:
    """The file of the innermost frame whose code is neither the standard library, frozen,
    nor under ``skip`` (the environment's folders): the project code that made the call."""
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith((_STDLIB, "<", *skip)):
            return str(name)
        frame = frame.f_back
    return "?"


class _Seen:
    """What one owner did."""

    __slots__ = (
        "absent",
        "bypassed",
        "data",
        "imports",
        "lists",
        "lookups",
        "native",
        "reads",
        "spawned",
    )

    def __init__(self) -> None:
        self.reads: set[str] = set()
        self.data: set[str] = set()  # the reads not made by the import system loading code
        self.spawned = False  # started a process
        # native code loaded from a file (a library, a database extension): C code whose
        # opens raise no event, so what it read is unknown (inputs: extension modules too)
        self.native: set[str] = set()
        # the calls that let code run where coverage's tracer does not (a raw thread, a
        # trace function removed): its lines are unknown, block keys fall back to files
        self.bypassed: set[str] = set()
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
        self.boundaries: set[Any] = set()  # runner frames calling a test: an owner's walk ends
        self._busy = False
        self._dir_fd: int | None = None  # the folder of the os.open call running, if given
        self.tracers: tuple[Any, ...] = ()  # coverage's, once it started (a test process)
        self._started = _Seen()  # what the interpreter's start did (see install)
        self.ledger = Ledger()  # every open and change in the place, for the parent's watch
        # test file code (by the file name its code objects carry) → the test file, and the
        # modules each test file's own code asked for by name (see :meth:`watch`)
        self._tests: dict[str, str | None] = {}
        self._direct: dict[str, set[str]] = {}

    def watch(self, tests: dict[str, str]) -> None:
        """Record which modules the code of each of ``tests`` (absolute path → test file)
        imports by name itself: an import statement or ``importlib.import_module`` call in the
        file, not one made by code it called. Recorded on every import, loaded already or not,
        so the record does not depend on which test file ran first."""
        self._tests.update(tests)
        self._direct.update((name, set()) for name in tests.values())

    def _test_of(self, filename: str) -> str | None:
        found = self._tests.get(filename, "")
        if found == "":
            found = self._tests[filename] = self._tests.get(os.path.realpath(filename))
        return found

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
        self.ledger.note(event, args, self._dir_fd)  # whoever's: the kernel sees them all
        if self.paused or self._busy:
            return
        if event in _READ_EVENTS:
            path = args[0]
            if not isinstance(path, str | bytes) or not _is_read(args[1], args[2]):
                return
            self._busy = True
            try:
                name = named(path, self._dir_fd)
                if name is None or name[0].startswith(self._ignore):
                    return
                frame = sys._getframe(1)
                seen = self._at(frame)
                seen.reads.add(name[0])
                seen.absent.update(name[1])
                if not _loads_code(frame):
                    seen.data.add(name[0])
            finally:
                self._busy = False
        elif event == "sqlite3.connect":
            self._by_c(database_path(args[0]), False, _SQLITE_SIDECARS)
        elif event in _NATIVE_EVENTS:
            path = args[_NATIVE_EVENTS[event]]
            if isinstance(path, str | bytes) and os.sep in os.fsdecode(path):
                self._by_c(path, True)  # else found by the loader's search: the machine's
        elif event in _SPAWN_EVENTS:
            _spawned(self, sys._getframe(1), event, args)
        elif event in _LIST_EVENTS:
            path = args[0]
            if isinstance(path, int):
                return  # a folder given by descriptor was opened, and so seen, before
            self._busy = True
            try:
                frame = sys._getframe(1)
                if _by_tooling(frame):
                    return
                folder = os.path.abspath(os.fsdecode(path) if path is not None else ".")
                self._at(frame).lists.add(folder)
            finally:
                self._busy = False

    def _by_c(self, path: Any, native: bool, sidecars: tuple[str, ...] = ()) -> None:
        """C code opened ``path`` with no ``open`` event: read as data; ``native``: it is
        native code; ``sidecars``: tails of files read with it (a database's journals)."""
        if self.paused or self._busy or path is None:
            return
        self._busy = True
        try:
            name = named(path, None)
            if name is None or name[0].startswith(self._ignore):
                return
            seen = self._at(sys._getframe(2))
            seen.reads.add(name[0])
            seen.data.add(name[0])
            seen.absent.update(name[1])
            for tail in sidecars:
                seen.absent.update(states(name[0] + tail, True))
            if native:
                seen.native.add(name[0])
        finally:
            self._busy = False

    def _bypassed(self, call: str) -> None:
        """Code may now run where coverage's tracer does not: ``call`` says how."""
        if not (self.paused or self._busy) and self.tracers:
            self._at(sys._getframe(2)).bypassed.add(call)  # no call of os: nothing to pause

    def _looked(self, path: Any, dir_fd: Any, follow: bool) -> None:
        """Someone looked at ``path`` without opening it (a stat, ``exists``, ``isfile``,
        ``getsize``, ``readlink``, ``access``, a literal glob): its state is an input — the
        file's content when it is one, a folder's being one, a link's target, or absence."""
        if self.paused or self._busy or isinstance(path, int):
            return  # a descriptor: its file was opened, and so seen, before
        self._busy = True
        try:
            name = named(path, dir_fd)
            if name is None or name[0].startswith(self._ignore):
                return
            frame = sys._getframe(2)
            if not _by_tooling(frame):
                self._at(frame).absent.update([*states(name[0], follow), *name[1]])
        finally:
            self._busy = False

    def _imported(self, frame: Any, names: list[str]) -> None:
        if self.paused:
            return
        self._at(frame).imports.update(names)
        test = self._test_of(frame.f_code.co_filename) if self._tests else None
        if test is not None:
            self._direct[test].update(names)

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
                    observer._imported(sys._getframe(1), names)

        def traced_import_module(name: str, package: str | None = None) -> Any:
            try:
                return real_import_module(name, package)
            finally:
                full = absolute(
                    name.lstrip("."), {"__package__": package}, len(name) - len(name.lstrip("."))
                )
                observer._imported(sys._getframe(1), [full])

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
        wrap_looks(self)
        wrap_bypasses(self)
        self._started = _started_with(tuple(os.fsdecode(p) for p in sys.path))
        self.reset()
        sys.addaudithook(self._audit)

    def reset(self) -> None:
        """Forget what was seen so far but the process's start (a forked worker child)."""
        self._seen.clear()
        self._origins.clear()
        self._seen[_SHARED] = copy.deepcopy(self._started)

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
                    "native": sorted(s.native),
                    "bypassed": sorted(s.bypassed),
                }
                for owner, s in self._seen.items()
            },
            "modules": modules,
            "direct": {test: sorted(names) for test, names in self._direct.items()},
        }


def _started_with(dirs: tuple[str, ...]) -> _Seen:
    """What the interpreter's start did before observing began, as the shared owner's: the
    modules it loaded (their files are read, how they were found is a lookup along ``dirs``,
    the import path it starts with, the project's folders first) and that ``sitecustomize``
    and ``usercustomize`` were looked for. A module created in a project folder there that
    would be found first, or one of those two, is an input of every test file."""
    seen = _Seen()
    for name in ("sitecustomize", "usercustomize"):
        if name not in sys.modules:
            seen.lookups.add((name, dirs, None))
    for name, module in list(sys.modules.items()):
        spec = getattr(module, "__spec__", None)
        if "." not in name and spec is not None and spec.has_location and spec.origin:
            seen.lookups.add((name, dirs, spec.origin))
            seen.reads.add(spec.origin)
    return seen


def _by_tooling(frame: Any) -> bool:
    """True when a listing is made by the import system, pytest, coverage or lockgate:
    their lookups are recorded as such; a listing of theirs is not the project's input."""
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith("<frozen importlib") or _METADATA in name:
            return True
        # the standard library, frozen modules (os, posixpath, genericpath) included,
        # calls on behalf of whoever called it
        if not name.startswith((_STDLIB, "<frozen ")):
            return any(part in name for part in _TOOLING)
        frame = frame.f_back
    return False


_STDLIB = os.path.dirname(os.__file__) + os.sep
# Distributions are found by listing every sys.path folder; the environment fingerprint
# covers them, so such listings (and the metadata read) are not the project's inputs.
_METADATA = f"{os.sep}importlib{os.sep}metadata{os.sep}"

# Where listings are the tools' own business, not the project's (matched in file paths).
_TOOLING = (
    f"{os.sep}_pytest{os.sep}",
    f"{os.sep}pluggy{os.sep}",
    f"{os.sep}coverage{os.sep}",
    f"{os.sep}lockgate{os.sep}",
)
