"""pytest's rule for matching a test file's path against ``python_files`` patterns.

The main process uses it to list test files (:mod:`lockgate.project.pytestconf` reads the
patterns), the test child's plugin to collect a named test file that the patterns do not
match (as pytest does for a file argument).
"""

from __future__ import annotations

import fnmatch
from pathlib import PurePosixPath


def matches(path: str, patterns: list[str]) -> bool:
    """pytest's rule: a pattern without ``/`` matches the file name, one with ``/`` the end of
    the path (``test_*/__init__.py`` matches ``tests/test_http/__init__.py``)."""
    posix = PurePosixPath(path).as_posix()
    name = posix.rsplit("/", 1)[-1]
    anchored = posix if posix.startswith("/") else f"/{posix}"  # pytest matches absolute paths
    for pattern in patterns:
        if "/" not in pattern:
            if fnmatch.fnmatch(name, pattern):
                return True
        elif fnmatch.fnmatch(anchored, pattern if pattern.startswith("/") else f"*/{pattern}"):
            return True
    return False
