"""pytest's ``python_files`` as pytest reads it: the file it chooses, and its matching rule.

The main process uses it to list test files; the matching rule is the test child's too (its
plugin collects a named test file the patterns do not match), so it lives in child.patterns.
"""

from __future__ import annotations

import configparser
import tomllib
from pathlib import Path

from lockgate.execution.child.patterns import matches as matches  # shared with the test child
from lockgate.plainfiles import read_text

DEFAULT_PYTHON_FILES = ("test_*.py", "*_test.py")
# The files pytest looks for in each folder, in its order of precedence, and the section that
# holds its options in each (pyproject.toml: `[tool.pytest.ini_options]` or, from pytest 9,
# `[tool.pytest]`).
CANDIDATES = (
    ("pytest.ini", "pytest"),
    (".pytest.ini", "pytest"),
    ("pyproject.toml", None),
    ("tox.ini", "pytest"),
    ("setup.cfg", "tool:pytest"),
)


def _from_toml(path: Path) -> tuple[bool, list[str] | None]:
    """(whether the file configures pytest, its python_files if it sets them)."""
    try:
        data = tomllib.loads(read_text(path))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False, None
    table = data.get("tool", {}).get("pytest")
    if not isinstance(table, dict):
        return False, None
    ini = table.get("ini_options")
    value = ini.get("python_files") if isinstance(ini, dict) else table.get("python_files")
    if isinstance(value, str):
        return True, value.split()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return True, list(value)
    return True, None


def _from_ini(path: Path, section: str) -> tuple[bool, list[str] | None]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(read_text(path))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return False, None
    if not parser.has_section(section):
        # pytest.ini configures pytest even without a [pytest] section
        return path.name in ("pytest.ini", ".pytest.ini"), None
    value = parser.get(section, "python_files", fallback=None)
    return True, value.split() if value is not None else None


def python_files(root: Path, start: Path | None = None) -> list[str]:
    """The ``python_files`` patterns of the pytest configuration that pytest would choose
    for a run of the folder ``start`` (default ``root``) with ``--rootdir root``: the first file
    that configures pytest, looking in ``start`` and then each parent up to ``root``."""
    folder = (start or root).resolve()
    top = root.resolve()
    while True:
        for name, section in CANDIDATES:
            path = folder / name
            if not path.is_file():
                continue
            found, value = _from_toml(path) if section is None else _from_ini(path, section)
            if found:
                return value if value else list(DEFAULT_PYTHON_FILES)
        if folder == top or folder.parent == folder:
            return list(DEFAULT_PYTHON_FILES)
        folder = folder.parent
