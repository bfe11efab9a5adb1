"""What a call named, as the kernel finds it: the file behind a path (through links and
``..``, relative to a folder descriptor), and the states a look at it depends on.

Part of the observer (:mod:`.observe`): standard library only.
"""

from __future__ import annotations

import os
import stat
import urllib.parse
from typing import Any

LINK = "\0link"  # "<path>\0link": where a symbolic link points (keys.hashing reads it)
# "<name>\0above": the files of that name in every folder above the root (keys.hashing reads
# it). pytest looks for these in each folder above where it starts; naming one by its absolute
# path would tie a result to where the checkout that stored it lay, and miss the configuration
# above another checkout that reuses it.
ABOVE = "\0above"
CONFIGURATION_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
# the calls the observer wraps (see .wrappers), as they were
real_stat, real_lstat, real_readlink = os.stat, os.lstat, os.readlink


def states(name: str, follow: bool) -> list[str]:
    """What a look at ``name`` depends on, as probes: the file (its content), the folder
    (``name/``: being one), the link (``name\0link``: its target) and, when the look follows
    it, what the link leads to; when nothing is there, both a file and a folder there."""
    try:
        st = real_lstat(name)
    except OSError:
        return [name, name + os.sep]
    found = []
    if stat.S_ISLNK(st.st_mode):
        found.append(name + LINK)
        if not follow:
            return found
        try:
            st = real_stat(name)
        except OSError:
            return [*found, name, name + os.sep]
    found.append(name + os.sep if stat.S_ISDIR(st.st_mode) else name)
    return found


def named(path: Any, dir_fd: Any) -> tuple[str, list[str]] | None:
    """The absolute path of the file a call named, as the kernel finds it, with the links
    that lead there (``<link>\0link`` probes); relative to ``dir_fd`` when one is given
    (its folder read from /proc); None when it cannot be told.

    Lexically normalised, ``linked/../x`` would name ``x`` beside ``linked``; the kernel
    follows ``linked`` first. So a name with ``..`` after a link is resolved up to its last
    part (a link there is read through, and hashed so, as named)."""
    try:
        name = os.fsdecode(os.fspath(path))
    except TypeError:
        return None
    if isinstance(dir_fd, int) and not os.path.isabs(name):
        try:
            name = os.path.join(real_readlink(f"/proc/self/fd/{dir_fd}"), name)
        except OSError:
            return None
    full = os.path.join(os.getcwd(), name)
    if f"..{os.sep}" not in full and not full.endswith(".."):
        return os.path.normpath(full), []
    folder, last = os.path.split(full)
    links = []
    parts = folder.split(os.sep)
    for i in range(2, len(parts) + 1):
        prefix = os.sep.join(parts[:i])
        if parts[i - 1] not in ("", ".", "..") and os.path.islink(prefix):
            links.append(os.path.realpath(os.path.dirname(prefix)) + os.sep + parts[i - 1] + LINK)
    return os.path.join(os.path.realpath(folder), last), links


def database_path(database: Any) -> str | None:
    """The file a ``sqlite3.connect`` names (a path, or a ``file:`` URI's path); None for
    an in-memory database or one that cannot be told."""
    try:
        text = os.fsdecode(os.fspath(database))
    except TypeError:
        return None
    if text.startswith("file:"):  # a URI (uri=True): its path, without the parameters
        uri = urllib.parse.urlsplit(text)
        if "memory" in urllib.parse.parse_qs(uri.query).get("mode", ()):
            return None  # a named in-memory database (coverage keeps its data in one)
        text = urllib.parse.unquote(uri.path)
    return None if text in ("", ":memory:") else text
