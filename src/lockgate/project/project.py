"""The project being validated: its root, configuration, Python files and their module names."""

from __future__ import annotations

import fnmatch
import glob
import importlib.machinery
import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from lockgate.errors import LockgateError
from lockgate.plainfiles import read_regular

if TYPE_CHECKING:  # the configuration's pydantic models load only when a run needs them
    from lockgate.project.config import Config, Loaded

# Folders that can never hold the project's own code. Nothing else is skipped: a folder named
# ``build`` or ``dist`` may be a package (``app.build``), and a skipped input is a wrong reuse.
_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages"}
_NATIVE = tuple(importlib.machinery.EXTENSION_SUFFIXES)


@dataclass(frozen=True)
class Walk:
    """What a walk found: ``.py`` files, the symlinks it followed, and those it did not."""

    files: list[str]  # posix, relative to the root
    escapes: list[tuple[str, str]]  # (folder or module link, its target) outside the tree
    links: list[str]  # symlinks followed
    # compiled extension modules (often built in place and ignored by git): code the
    # sandbox must hold although no key lists them
    natives: list[str] = field(default_factory=list)


def _skipped(dirpath: str, name: str) -> bool:
    return (
        name.startswith(".")
        or name in _SKIP_DIRS
        or name.endswith(".egg-info")
        or os.path.exists(os.path.join(dirpath, name, "pyvenv.cfg"))
    )


def walk_tree(root: Path, top: Path) -> Walk:
    """Every ``.py`` file under ``top``, following symlinks whose target stays inside ``root``.

    A linked file or folder is listed under the link's path, as Python imports it. A link back
    to a folder being walked (a cycle) is not entered again; links that leave the root (or
    lead into a skipped folder) are not followed but reported, so that the configuration can
    refuse them where they matter.
    """
    real_root = os.path.realpath(root)
    files: list[str] = []
    escapes: list[tuple[str, str]] = []
    links: list[str] = []
    natives: list[str] = []

    def inside(path: str, folder: bool) -> bool:
        # Inside the root, and not in a folder the walk skips: runs report files by their
        # real path, which must be a listed file.
        if path != real_root and not path.startswith(real_root + os.sep):
            return False
        parts = os.path.relpath(path, real_root).split(os.sep)
        folders = parts if folder else parts[:-1]
        return not any(
            p.startswith(".") or p in _SKIP_DIRS or p.endswith(".egg-info") for p in folders
        )

    def visit(folder: str, prefix: str, real: str, ancestors: frozenset[str]) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            # Only a link costs a realpath: below a known real folder a plain entry is real.
            target = os.path.realpath(entry.path) if entry.is_symlink() else ""
            try:
                is_dir = entry.is_dir()
            except OSError:  # a symlink loop: listed below, a file lockgate cannot read
                is_dir = False
            if is_dir and _skipped(folder, entry.name):
                continue
            if target and not inside(target, is_dir):
                # Folders and modules are what Python would import through the link; a link
                # to a data file is the purity gate's concern, not the walk's.
                if is_dir or entry.name.endswith(".py"):
                    escapes.append((prefix + entry.name, target))
            elif is_dir:
                below = target or os.path.join(real, entry.name)
                if below not in ancestors:
                    if target:
                        links.append(prefix + entry.name)
                    visit(entry.path, f"{prefix}{entry.name}/", below, ancestors | {below})
            elif entry.name.endswith(".py"):
                # A dangling link is listed too: it is a file lockgate cannot read.
                files.append(prefix + entry.name)
                if target:
                    links.append(prefix + entry.name)
            elif entry.name.endswith(_NATIVE):
                natives.append(prefix + entry.name)

    start = os.path.realpath(top)
    rel = os.path.relpath(top, root).replace(os.sep, "/")
    visit(str(top), "" if rel == "." else rel + "/", start, frozenset({start}))
    return Walk(files, escapes, links, natives)


def _under(path: str, folder: str) -> bool:
    folder = os.path.normpath(folder).replace(os.sep, "/")
    return folder == "." or path == folder or path.startswith(folder + "/")


def _configured(folder: Path) -> bool:
    """Whether ``folder`` holds lockgate's configuration: a ``lockgate.toml``, or a
    ``pyproject.toml`` with a ``[tool.lockgate]`` table."""
    if (folder / "lockgate.toml").is_file():
        return True
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        return False
    # Fail closed: a file we cannot read might hold the table that makes this the root.
    try:
        data = tomllib.loads(read_regular(pyproject).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise LockgateError(f"{pyproject}: invalid TOML: not UTF-8 ({exc.reason})") from None
    except tomllib.TOMLDecodeError as exc:
        raise LockgateError(f"{pyproject}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise LockgateError(f"{pyproject}: cannot read: {exc.strerror}") from None
    tool = data.get("tool")
    return isinstance(tool, dict) and "lockgate" in tool


def find_root(path: Path) -> Path:
    """The project root for ``path``: the nearest folder from ``path`` upward whose
    configuration is lockgate's, as pytest, ruff and coverage.py find theirs.

    The walk stops at the top of the git work tree holding ``path`` (a folder with ``.git``)
    and at the filesystem root: a configuration above the repository belongs to something else.
    """
    start = path.resolve()
    for folder in (start, *start.parents):
        if _configured(folder):
            return folder
        if (folder / ".git").exists():
            break
    raise LockgateError(
        f"{start}: no [tool.lockgate] table in pyproject.toml and no lockgate.toml here or in "
        f"a folder above it (up to {folder}); add one with at least one "
        "[[tool.lockgate.features]] table"
    )


def walk_python(root: Path, top: Path) -> list[str]:
    """Every ``.py`` file under ``top`` (posix, relative to ``root``); see :func:`walk_tree`."""
    return walk_tree(root, top).files


def declared_inputs(root: Path, patterns: list[str]) -> frozenset[str]:
    """Files (posix, relative to ``root``) matched by the ``inputs`` globs."""
    found: set[str] = set()
    for pattern in patterns:
        for match in glob.glob(pattern, root_dir=root, recursive=True):
            if os.path.isfile(os.path.join(root, match)):
                found.add(match.replace(os.sep, "/"))
    return frozenset(found)


@dataclass
class Project:
    """A configured project and the Python files lockgate can see in it."""

    root: Path
    loaded: Loaded

    @classmethod
    def open(cls, path: Path) -> Project:
        """Load the project whose configuration lives in ``path``."""
        # lazy: the configuration's pydantic models cost ~170 ms to import, which the
        # no-change path (it reads this module for walk_tree) never uses
        from lockgate.project.config import load

        root = path.resolve()
        return cls(root=root, loaded=load(root))

    @property
    def config(self) -> Config:
        """The validated ``[tool.lockgate]`` configuration."""
        return self.loaded.config

    @cached_property
    def _walk(self) -> Walk:
        return walk_tree(self.root, self.root)

    @cached_property
    def python_files(self) -> list[str]:
        """Every ``.py`` file of the project (posix paths relative to the root), sorted.

        Raises LockgateError for a symlink under a configured folder whose target leaves the
        root: lockgate would import and run code it does not key.
        """
        # lazy: pydantic again (see open)
        from lockgate.project.config import code_paths, key_name

        walk = self._walk
        configured = code_paths(self.config)
        for link, target in walk.escapes:
            for loc, value in configured:
                if _under(link, value):
                    where = key_name(self.loaded.source, *loc)
                    raise LockgateError(
                        f"{self.loaded.source}: {where}: symlink {link!r} points to {target!r},"
                        " outside the project root or into a folder lockgate skips"
                    )
        return sorted(walk.files)

    @property
    def native_files(self) -> list[str]:
        """Compiled extension modules under the root (posix, relative), as the walk found them."""
        return self._walk.natives

    def real_path(self, path: str) -> str:
        """``path`` with symlinks resolved (posix, relative to the root): where coverage and
        workers, which see real paths, report the file."""
        if not self._walk.links:
            return path
        full = os.path.realpath(os.path.join(self.root, path))
        return os.path.relpath(full, self.root).replace(os.sep, "/")

    @cached_property
    def modules(self) -> dict[str, str]:
        """Module name → file, for every file under a ``src`` root or the project root."""
        return module_names(self.python_files, self.config.src)

    @cached_property
    def module_of(self) -> dict[str, str]:
        """File → its module name (the inverse of :attr:`modules`)."""
        return {path: name for name, path in self.modules.items()}

    def sys_path(self) -> list[str]:
        """Folders first on ``sys.path`` for workers: every src root, then the project root."""
        roots = [str((self.root / s).resolve()) for s in self.config.src]
        return [*dict.fromkeys([*roots, str(self.root)])]

    @cached_property
    def test_files(self) -> list[str]:
        """The test files: every file pytest would collect under the test roots (by the
        ``python_files`` of the pytest configuration it would choose, default ``test_*.py`` and
        ``*_test.py``), every ``.py`` file a ``tests`` entry names or matches as a glob (pytest
        collects a file it is given whatever its name), minus ``tests_exclude`` matches."""
        # lazy: pytestconf and configparser take ~3 ms to import, 2% of a no-change run,
        # which never lists test files
        from lockgate.project.pytestconf import matches, python_files

        known = set(self.python_files)
        named: set[str] = set()
        roots: list[str] = []
        for entry in self.config.tests:
            if glob.has_magic(entry):
                found = glob.glob(entry, root_dir=self.root, recursive=True)
                named |= {m.replace(os.sep, "/") for m in found} & known
                roots += [m for m in found if (self.root / m).is_dir()]
            elif entry.strip("/") in known:
                named.add(entry.strip("/"))
            else:
                roots.append(entry)
        out = set(named)
        for entry in roots:
            top = entry.replace(os.sep, "/").strip("/")
            prefix = "" if top in ("", ".") else top + "/"
            patterns = python_files(self.root, self.root / top)
            out |= {p for p in known if p.startswith(prefix) and matches(p, patterns)}
        excluded = self.config.tests_exclude
        return sorted(p for p in out if not any(fnmatch.fnmatch(p, g) for g in excluded))

    @cached_property
    def conftests(self) -> list[str]:
        """Every ``conftest.py`` of the project."""
        return [p for p in self.python_files if p.rsplit("/", 1)[-1] == "conftest.py"]


def module_names(paths: Sequence[str], src: Sequence[str]) -> dict[str, str]:
    """Module name → file for the Python files ``paths``, under a ``src`` root or the root."""
    out: dict[str, str] = {}
    # Later roots win: src roots are more specific than the project root.
    bases = ["", *(s.strip("/") + "/" for s in src if s not in (".", "./"))]
    for base in bases:
        for path in paths:
            if not path.startswith(base):
                continue
            name = path[len(base) : -3].replace("/", ".")
            if name.endswith(".__init__"):
                name = name[: -len(".__init__")]
            elif name == "__init__":
                continue
            out[name] = path
    return out
