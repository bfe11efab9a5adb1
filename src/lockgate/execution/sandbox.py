"""Copies of the project that tests and imports run in, so validation never changes the repository.

A *place* is one copy, in the run's folder (:mod:`.reaper`, so a crash leaves nothing
behind that the next run does not sweep), at ``<run>/sandbox-<name>/<the root's absolute path>``:
every path below ``<run>/sandbox-<name>`` is the real path it copies, which is how observations
and details are mapped back (:class:`~.child.observe.Paths`). A place holds the files git shows
(tracked, and untracked but not ignored; every file of the tree without git), every Python file
and extension module lockgate's walk lists and every file a key names — ignored files a key does
not name are absent, as they never ship. Files are reflinked where the file system can, copied
where not: a hard link would share the inode that an in-place ``open(path, "w")`` writes.

When the root is a repository's top folder, the place has a ``.git`` of its own: the same HEAD,
index and exclusions, the real object store as a read-only alternate, and its own refs, so a test
can run ``git status``, commit or tag, and nothing reaches the real repository.
``GIT_CEILING_DIRECTORIES`` keeps git from looking above the place.

After each process that ran in a place, :meth:`Place.settle` reports what it changed there
(files created, modified, removed or replaced by a symlink, git refs) and puts the copy back as
it was, so the next process sees the tree its keys describe.

A process in a place gets environment values that point into the project pointed into the place
(:mod:`.relocate`). What still reaches the work tree itself is found once the run's processes
ended (:meth:`Sandbox.escaped`, :mod:`.tripwire`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from lockgate import git
from lockgate.execution import reaper
from lockgate.execution.child.naming import CONFIGURATION_FILES
from lockgate.execution.copier import Copier, State, state
from lockgate.execution.relocate import Relocator
from lockgate.execution.tripwire import Tripwire
from lockgate.model import Write
from lockgate.plainfiles import read_regular
from lockgate.project.project import walk_tree

# Variables that would point a test's git at another repository than the place's.
_GIT_LOCATIONS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
)

_NEVER = frozenset({"__pycache__", "node_modules", "site-packages"})


def fixed_hashes(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with ``PYTHONHASHSEED`` set when the user did not set it: Python draws a new
    hash seed per process, so the order of a set of strings — and the code a test runs over
    it — changed from run to run, and a verdict or coverage with it (issue 18). The user's
    own value is kept (and is in every key, with the other PYTHON* variables)."""
    out = dict(env)
    if not out.get("PYTHONHASHSEED"):  # Python reads an empty value as none
        out["PYTHONHASHSEED"] = "0"
    return out


class Sandbox:
    """The places of one run: built on first use, each reused (and restored) within the run."""

    def __init__(
        self,
        root: Path,
        files: Iterable[str] = (),
        extra: Iterable[str] = (),
        own: Iterable[Path] = (),
        manifest: Sequence[str] | None = None,
        name: str = "",
    ) -> None:
        """``files``: the walk's Python files and extension modules (walked here when empty);
        ``extra``: every file a key names, so that what a key hashes is what the tests see;
        ``own``: folders lockgate itself writes during the run (the store's).
        ``manifest``: every path a place holds, as another machine's sandbox listed it (a
        Dask worker's copy of the tree, :mod:`.dask_units`): no git, no walk, no ``.git``.
        ``name``: what this sandbox's places are called after, when several sandboxes share
        one process's run folder."""
        self.root = root.resolve()
        self._own = [str(self.root / ".lockgate"), str(self.root / ".git")]
        self._own += [os.path.realpath(p) for p in own]
        self._relocator: Relocator | None = None
        self._tripwire: Tripwire | None = None
        self.ran: dict[str, None] = {}  # what every process of the run ran, in order
        self._given = list(files)
        self._extra = list(extra)
        self._manifest: list[str] | None = None if manifest is None else list(manifest)
        self._name = name
        self._members: frozenset[str] | None = None
        self._layout: git.Layout | None = None
        self._places: dict[str, Place] = {}
        self._copier = Copier()
        # The import workers' thread and the test batch ask for their places at the same time.
        self._lock = threading.Lock()
        self.writes: list[Write] = []  # what every process of the run wrote, in order

    def include(self, paths: Iterable[str]) -> None:
        """Hold ``paths`` too (project-relative, present or not): call before the first place."""
        self._extra.extend(paths)

    @property
    def manifest(self) -> list[str]:
        """Every path a place holds (posix, relative to the root)."""
        if self._manifest is None:
            shown = git.visible_files(self.root)
            if shown is None:  # no git: the whole tree but what the walk never enters
                shown = list(_every_file(self.root))
            else:
                self._layout = git.layout(self.root)
                shown = _project_files(shown)
            given = self._given
            if not given:
                walk = walk_tree(self.root, self.root)
                given = [*walk.files, *walk.natives]
            names = dict.fromkeys([*shown, *given, *self._extra])
            self._manifest = sorted(p for p in names if p and not p.startswith(".lockgate/"))
        return self._manifest

    def holds(self, path: str) -> bool:
        """True when ``path`` (project-relative) is, or would be, in every place."""
        if self._members is None:
            self._members = frozenset(self.manifest)
        return path in self._members

    def place(self, name: str) -> Place:
        """The place called ``name``, built now if this run has not built it yet."""
        with self._lock:
            found = self._places.get(name)
            if found is None:
                run = os.path.realpath(reaper.run_dir())
                if self._tripwire is None:  # before the first process of the run starts
                    self._relocator = Relocator(str(self.root), self.manifest, run)
                    self._tripwire = Tripwire(str(self.root), self.manifest, [*self._own, run])
                base = Path(run) / f"sandbox-{self._name}{name}"
                found = self._places[name] = Place(self, base)
        with found.lock:
            if not found.built:
                found.build()
        return found

    def relocated(self, env: Mapping[str, str], place: Place) -> dict[str, str]:
        """``env`` with the values that point into the project pointing into ``place``
        (:mod:`.relocate`)."""
        assert self._relocator is not None  # made with the first place
        return self._relocator.env(env, str(place.root))

    def escaped(self) -> list[Write]:
        """What changed in the work tree itself while the run's processes ran (once every
        process ended; :mod:`.tripwire`), added to :attr:`writes`; [] when none ran."""
        if self._tripwire is None:
            return []
        found = self._tripwire.changes()
        self._tripwire = None
        by = tuple(self.ran)
        writes = [Write(path, change, by, repository=True) for path, change in found]
        self.writes.extend(writes)
        return writes

    def close(self) -> None:
        """Remove every place (the run folder's removal at exit would too)."""
        for found in self._places.values():
            found.remove()
        self._places.clear()


def _project_files(shown: list[str]) -> list[str]:
    """``shown`` without what can never be the project's (an unignored virtual environment,
    ``node_modules``, bytecode): thousands of files no test of the project reads."""
    venvs = tuple(p[: -len("pyvenv.cfg")] for p in shown if p.endswith("/pyvenv.cfg"))
    return [
        p
        for p in shown
        if not p.startswith(venvs)
        and not any(part in _NEVER or part.endswith(".egg-info") for part in p.split("/")[:-1])
    ]


def _every_file(root: Path) -> Iterator[str]:
    """Every file and symlink under ``root`` outside folders that never hold the project."""
    for folder, dirs, files in os.walk(root):
        rel = os.path.relpath(folder, root).replace(os.sep, "/")
        prefix = "" if rel == "." else rel + "/"
        kept = []
        for d in dirs:
            if os.path.islink(os.path.join(folder, d)):
                files.append(d)  # copied as the link it is
            elif not (d.startswith(".") or d in _NEVER or d.endswith(".egg-info")) and not (
                os.path.exists(os.path.join(folder, d, "pyvenv.cfg"))
            ):
                kept.append(d)
        dirs[:] = kept
        yield from (prefix + f for f in files)


class Place:
    """One copy of the tree, and what was put in it."""

    def __init__(self, sandbox: Sandbox, base: Path) -> None:
        self.sandbox = sandbox
        self.base = base
        self.root = Path(str(base) + str(sandbox.root))
        self._put: dict[str, State] = {}  # real path → state of its copy after building
        self._dirs: set[str] = set()  # folders of the place that building made
        self._links: set[str] = set()  # real paths of folder symlinks: their files come along
        self._refs: dict[str, str] = {}
        self.lock = threading.Lock()
        self.built = False

    # -- mapping -------------------------------------------------------------------------

    def path(self, real: str) -> str:
        """Where the place holds ``real`` (an absolute path), or ``real`` when it does not."""
        root = str(self.sandbox.root)
        if real == root or real.startswith(root + os.sep):
            return str(self.base) + real
        return real

    def real(self, text: str) -> str:
        """``text`` (a detail, a traceback) with every path in the place made the real one."""
        return text.replace(str(self.base), "")

    def env(self, env: Mapping[str, str]) -> dict[str, str]:
        """``env`` for a process running in the place: values that point into the project
        point into the place, git cannot find another repository, and str hashes are the
        same in every run (see :func:`fixed_hashes`)."""
        placed = self.sandbox.relocated(env, self)
        out = {k: v for k, v in placed.items() if k not in _GIT_LOCATIONS}
        out["GIT_CEILING_DIRECTORIES"] = str(self.base)
        return fixed_hashes(out)

    # -- building ------------------------------------------------------------------------

    def build(self) -> None:
        """Copy the tree in (every file of the manifest, present on disk), and its git."""
        src = str(self.sandbox.root)
        made = self._dirs
        self._mkdirs(str(self.root), made)
        above = Path(src).parent
        later: list[tuple[str, str, os.stat_result]] = []
        for folder in [above, *above.parents]:
            # pytest looks for its configuration above the root too: these are copied to the
            # place's copy of each folder above the root, so it chooses what it would choose
            for name in CONFIGURATION_FILES:
                self._put_file(os.path.join(str(folder), name), made, later)
        for rel in self.sandbox.manifest:  # sorted: a folder link comes before its files
            self._put_file(os.path.join(src, rel), made, later)
        states = self.sandbox._copier.copy_all(later)
        self._put.update((f[0], state) for f, state in zip(later, states, strict=True))
        self._build_git()
        self.built = True

    def _behind_link(self, src: str) -> bool:
        if not self._links:
            return False
        node = os.path.dirname(src)
        while len(node) > len(str(self.sandbox.root)):
            if node in self._links:
                return True
            node = os.path.dirname(node)
        return False

    def _mkdirs(self, target: str, made: set[str]) -> None:
        if target in made:
            return
        os.makedirs(target, exist_ok=True)
        node = target
        while node != str(self.base) and node not in made:
            made.add(node)
            node = os.path.dirname(node)

    def _put_file(
        self, src: str, made: set[str], later: list[tuple[str, str, os.stat_result]] | None = None
    ) -> None:
        """Put the copy of ``src`` in place (a regular file into ``later``, when given)."""
        if self._behind_link(src):
            return  # the link's copy shows the copy of its target
        try:
            info = os.lstat(src)
        except OSError:
            return  # deleted in the work tree, or a folder above without that file
        dst = str(self.base) + src
        self._mkdirs(os.path.dirname(dst), made)
        if stat.S_ISLNK(info.st_mode):
            target = os.readlink(src)
            os.symlink(self.path(target) if os.path.isabs(target) else target, dst)
            if os.path.isdir(src):
                self._links.add(src)
        elif stat.S_ISREG(info.st_mode):
            if later is not None:
                later.append((src, dst, info))
                return
            self._put[src] = self.sandbox._copier.copy(src, dst, info)
            return
        elif stat.S_ISDIR(info.st_mode):  # a submodule: its files, not its repository
            shutil.copytree(src, dst, symlinks=True, ignore=shutil.ignore_patterns(".git"))
            for folder, _dirs, files in os.walk(dst):
                self._dirs.add(folder)
                for name in files:
                    full = os.path.join(folder, name)
                    self._put[full[len(str(self.base)) :]] = state(os.lstat(full))
            return
        else:
            return  # a socket or a fifo is nothing a test can rely on
        self._put[src] = state(os.lstat(dst))

    def _build_git(self) -> None:
        found = self.sandbox._layout
        if found is None:
            return
        dot = self.root / ".git"
        for sub in ("objects/info", "refs/heads", "refs/tags", "info"):
            (dot / sub).mkdir(parents=True, exist_ok=True)
        (dot / "HEAD").write_text(found.head + "\n", encoding="utf-8")
        ref = found.head.removeprefix("ref:").strip()
        if found.commit is not None and found.head.startswith("ref:"):
            (dot / ref).parent.mkdir(parents=True, exist_ok=True)
            (dot / ref).write_text(found.commit + "\n", encoding="utf-8")
        (dot / "objects" / "info" / "alternates").write_text(f"{found.objects}\n", "utf-8")
        version = "1" if found.object_format != "sha1" else "0"
        config = f"[core]\n\trepositoryformatversion = {version}\n\tbare = false\n"
        if found.object_format != "sha1":
            config += f"[extensions]\n\tobjectformat = {found.object_format}\n"
        (dot / "config").write_text(config, encoding="utf-8")
        for name in ("index", "info/exclude"):
            with contextlib.suppress(OSError):
                shutil.copyfile(found.git_dir / name, dot / name)
        self._refs = self._read_refs()

    def _read_refs(self) -> dict[str, str]:
        dot = self.root / ".git"
        refs: dict[str, str] = {}
        with contextlib.suppress(OSError):
            for line in (dot / "packed-refs").read_text("utf-8").splitlines():
                sha, _, name = line.partition(" ")
                if name and not line.startswith(("#", "^")):
                    refs[name] = sha
        for folder, _dirs, files in os.walk(dot / "refs"):
            for name in files:
                path = Path(folder, name)
                with contextlib.suppress(OSError):
                    refs[path.relative_to(dot).as_posix()] = path.read_text("utf-8").strip()
        with contextlib.suppress(OSError):
            refs["HEAD"] = (dot / "HEAD").read_text("utf-8").strip()
        return refs

    # -- after a process -----------------------------------------------------------------

    def settle(self, by: Sequence[str]) -> list[Write]:
        """What the last process changed here (``by`` ran in it), and the place put back."""
        self.sandbox.ran.update(dict.fromkeys(by))
        found: list[tuple[str, str]] = []
        extra: list[str] = []  # folders it made: removed whole
        seen: set[str] = set()
        base = str(self.base)
        for path, info in _entries(base, str(self.root / ".git")):
            real = path[len(base) :]
            seen.add(real)
            if stat.S_ISDIR(info.st_mode):
                if path not in self._dirs:
                    extra.append(path)
                    if not any(os.scandir(path)):
                        found.append((real + os.sep, "created"))
                continue
            put = self._put.get(real)
            if put is None:
                found.append((real, "created"))
            elif state(info) != put:
                if stat.S_ISLNK(info.st_mode) and not stat.S_ISLNK(put[0]):
                    found.append((real, "replaced by a symlink"))
                elif self._differs(real, path, info, put):
                    found.append((real, "modified"))
                else:
                    found.append((real, ""))  # rewritten with the same bytes: put back quietly
        found += [(real, "removed") for real in self._put if real not in seen]
        refs = self._read_refs() if self.sandbox._layout is not None else {}
        changes = [
            (name, "created" if name not in self._refs else "removed" if name not in refs else "")
            for name in sorted(set(refs) | set(self._refs))
            if refs.get(name) != self._refs.get(name)
        ]
        try:
            self._restore([real for real, _ in found], extra)
            if self.sandbox._layout is not None:  # a few small files: always afresh
                shutil.rmtree(self.root / ".git")
                self._build_git()
        except OSError:
            self.remove()  # whatever a test did here, a fresh copy undoes it
            self._put, self._dirs, self._links, self._refs = {}, set(), set(), {}
            self.build()
        root = str(self.sandbox.root)
        writes = [
            Write(self._name(real, root), change, tuple(by)) for real, change in found if change
        ]
        writes += [Write(name, change or "modified", tuple(by)) for name, change in changes]
        self.sandbox.writes.extend(writes)
        return writes

    def _name(self, real: str, root: str) -> str:
        if real.startswith(root + os.sep):
            return real[len(root) + 1 :].replace(os.sep, "/")
        return real

    def _differs(self, real: str, path: str, info: os.stat_result, put: State) -> bool:
        if info.st_mode != put[0] or info.st_size != put[1] or not stat.S_ISREG(info.st_mode):
            return True
        try:
            return read_regular(path, follow=False) != read_regular(real, follow=False)
        except OSError:  # a FIFO in the work tree, say: never opened, and not the same
            return True

    def _restore(self, paths: list[str], folders: list[str]) -> None:
        made = self._dirs
        for folder in sorted(folders, key=len):
            if os.path.lexists(folder):
                shutil.rmtree(folder)
        for real in paths:
            path = str(self.base) + real
            with contextlib.suppress(FileNotFoundError):
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)
            if real in self._put:
                del self._put[real]
                self._put_file(real, made)

    def remove(self) -> None:
        """Delete the place (tests may have made folders read-only: those are opened first)."""

        def unlock(function: object, path: str, _exc: object) -> None:
            with contextlib.suppress(OSError):
                os.chmod(os.path.dirname(path), 0o700)
                os.chmod(path, 0o700)
            with contextlib.suppress(OSError):
                if os.path.isdir(path) and not os.path.islink(path):
                    os.rmdir(path)
                else:
                    os.unlink(path)

        shutil.rmtree(self.base, onerror=unlock)


def _entries(top: str, skip: str) -> Iterator[tuple[str, os.stat_result]]:
    """Every entry below ``top`` (lstat), folders included, but not below ``skip``."""
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                continue
            raise
        for entry in entries:
            if entry.path == skip or entry.name == "__pycache__":
                continue
            info = entry.stat(follow_symlinks=False)
            yield entry.path, info
            if stat.S_ISDIR(info.st_mode):
                stack.append(entry.path)
