"""The project being validated: its root, configuration, Python files and their module names."""

from __future__ import annotations

import fnmatch
import glob
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the configuration's pydantic models load only when a run needs them
    from lockgate.config import Config, Loaded

# Folders that never hold the project's own code.
_SKIP_DIRS = {"__pycache__", "node_modules", "build", "dist", "site-packages"}


def walk_python(root: Path, top: Path) -> list[str]:
    """Every ``.py`` file under ``top`` (posix, relative to ``root``), skipping caches and venvs."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = [
            d
            for d in dirnames
            if not d.startswith(".")
            and d not in _SKIP_DIRS
            and not d.endswith(".egg-info")
            and not os.path.exists(os.path.join(dirpath, d, "pyvenv.cfg"))
        ]
        rel = os.path.relpath(dirpath, root).replace(os.sep, "/")
        prefix = "" if rel == "." else rel + "/"
        found.extend(prefix + name for name in filenames if name.endswith(".py"))
    return found


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
        from lockgate.config import load

        root = path.resolve()
        return cls(root=root, loaded=load(root))

    @property
    def config(self) -> Config:
        """The validated ``[tool.lockgate]`` configuration."""
        return self.loaded.config

    @cached_property
    def python_files(self) -> list[str]:
        """Every ``.py`` file of the project (posix paths relative to the root), sorted."""
        tops = {self.root / p for p in (*self.config.src, *self.config.tests)}
        tops.add(self.root)
        # Walking the root covers everything; the roots are only walked on their own when
        # they lie outside it (they never do for a valid configuration).
        files = set(walk_python(self.root, self.root))
        for top in tops:
            if top.is_dir() and not top.resolve().is_relative_to(self.root):
                files.update(walk_python(self.root, top))
        return sorted(files)

    @cached_property
    def modules(self) -> dict[str, str]:
        """Module name → file, for every file under a ``src`` root or the project root."""
        out: dict[str, str] = {}
        # Later roots win: src roots are more specific than the project root.
        bases = ["", *(s.strip("/") + "/" for s in self.config.src if s not in (".", "./"))]
        for base in bases:
            for path in self.python_files:
                if not path.startswith(base):
                    continue
                name = path[len(base) : -3].replace("/", ".")
                if name.endswith(".__init__"):
                    name = name[: -len(".__init__")]
                elif name == "__init__":
                    continue
                out[name] = path
        return out

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
        from lockgate.pytestconf import matches, python_files

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
