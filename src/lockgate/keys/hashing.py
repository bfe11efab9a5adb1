"""Content hashes of files (behind a stat cache), folder probes, and keys over JSON parts."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from lockgate.execution.child.naming import ABOVE
from lockgate.plainfiles import read_regular
from lockgate.store.store import StatRow

# A file whose mtime lies this close to the moment its hash was recorded may have changed
# again within the same timestamp tick (coarse file systems tick every 2 s), so it is re-read.
RACY_NS = 2_000_000_000


def digest(data: bytes) -> str:
    """The content hash lockgate uses everywhere."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class FileHasher:
    """Hashes project files, trusting (size, mtime_ns, ctime_ns, inode) for files not recently
    written."""

    def __init__(self, root: Path, known: Mapping[str, StatRow]) -> None:
        self.root = root
        self._known = known
        self._now_ns = time.time_ns()
        self._observed: dict[str, StatRow] = {}
        self._moved: dict[str, bool] = {}
        self._hashes: dict[str, str | None] = {}
        self._pairs: dict[str, str] = {}  # path → its [path, hash] in JSON (see state)
        self.updated: dict[str, StatRow] = {}
        self.contents: dict[str, bytes] = {}  # files that had to be read this run
        self.failures: dict[str, OSError] = {}  # files that could not be read, and why

    def hash(self, path: str) -> str | None:
        """Content hash of ``path`` (posix, relative to the root, or absolute for a file
        outside the project), or None when absent. A probe (see :func:`is_probe`) gives the
        state of a folder instead."""
        if path in self._hashes:
            return self._hashes[path]
        if is_probe(path):
            found = self._hashes[path] = probe_state(self.root, path)
            return found
        full = os.path.join(self.root, path)
        try:
            st = os.stat(full)
        except OSError:
            self._hashes[path] = None
            return None
        if not os.path.isfile(full):
            self._hashes[path] = None
            return None
        row = self._known.get(path)
        if (
            row is not None
            and row.size == st.st_size
            and row.mtime_ns == st.st_mtime_ns
            and row.ctime_ns == st.st_ctime_ns
            and row.inode == st.st_ino
            and max(st.st_mtime_ns, st.st_ctime_ns) + RACY_NS < row.recorded_ns
        ):
            self._hashes[path] = row.hash
            self._observed[path] = row
            return row.hash
        data = self.read(path)
        value = digest(data) if data is not None else None
        self._hashes[path] = value
        if value is not None:
            fresh = StatRow(
                st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, self._now_ns, value
            )
            self.updated[path] = self._observed[path] = fresh
        return value

    def read(self, path: str) -> bytes | None:
        """The bytes of ``path`` (kept for this run), or None when it cannot be read (or is
        not a regular file: a FIFO named like a module would block the read for ever)."""
        if path not in self.contents:
            try:
                self.contents[path] = read_regular(os.path.join(self.root, path))
            except OSError as exc:
                self.failures[path] = exc
                return None
        return self.contents[path]

    def state(self, paths: Iterable[str]) -> str:
        """One hash over the state (content hash, or absence) of every path in ``paths``:
        ``key_of([[path, hash], ...])`` in path order. A run checks thousands of probe sets
        of a thousand names or more, mostly the same names: each name's ``[path, hash]`` is
        encoded once a run (as :func:`key_of` encodes it), and a set's text is joined from
        them without a Python loop."""
        ordered = sorted(paths)
        pairs = self._pairs
        for path in set(ordered).difference(pairs):
            pairs[path] = json.dumps([path, self.hash(path)], separators=(",", ":"))
        return digest(f"[{','.join(map(pairs.__getitem__, ordered))}]".encode())

    def hashes(self, paths: Iterable[str]) -> dict[str, str | None]:
        """``{path: hash}`` for ``paths``."""
        return {p: self.hash(p) for p in paths}

    def moved(self, path: str, before: FileHasher) -> bool:
        """True when ``path`` differs from what ``before`` observed: content or stat.

        A stat change counts even when the content is back to what it was, so that a file
        edited and restored while a layer ran never lets that layer's result be stored.
        Answered once per path: the check runs after every layer has finished.
        """
        known = self._moved.get(path)
        if known is None:
            known = self._moved[path] = self._check_moved(path, before)
        return known

    def _check_moved(self, path: str, before: FileHasher) -> bool:
        if is_probe(path):
            return probe_state(self.root, path) != before.hash(path)
        seen = before._observed.get(path)
        try:
            st = os.stat(os.path.join(self.root, path))
        except OSError:
            return seen is not None or before.hash(path) is not None
        if seen is None:
            return True
        now = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        if now != (seen.size, seen.mtime_ns, seen.ctime_ns, seen.inode):
            return True
        return self.hash(path) != seen.hash

    def looked_at(self) -> dict[str, StatRow | None]:
        """Every file this hasher was asked about: its stat when hashed, or None if absent."""
        return {p: self._observed.get(p) for p in self._hashes}

    def trust(self, other: FileHasher) -> None:
        """Start from what ``other`` observed, so that only files stat-changed since are read.

        Used to check, after layers ran, that their inputs did not move meanwhile.
        """
        self._known = {
            p: StatRow(r.size, r.mtime_ns, r.ctime_ns, r.inode, other._now_ns, r.hash)
            for p, r in other._observed.items()
        }


LISTING = "\0ls"  # "<folder>\0ls": the names in a folder, as a program that listed it saw
# "<path>\0link": where a symbolic link points, as a program that read the link or looked at
# the link itself saw (lockgate.execution.child.observe names it so too)
LINK = "\0link"


def is_probe(path: str) -> bool:
    """True for a probe of something other than a file's content: ``"<folder>/"`` (is it a
    folder?), ``"<folder>\0ls"`` (its names) or ``"<path>\0link"`` (a link's target)."""
    return path.endswith(("/", LISTING, LINK, ABOVE))


def probe_state(root: Path, path: str) -> str | None:
    """The state of a probe: "dir", the digest of a folder's names or of a link's target, or
    of the files of one name in the folders above the root; None when there is no such folder,
    link or file."""
    if path.endswith(ABOVE):
        return _above(root, path[: -len(ABOVE)])
    if path.endswith(LINK):
        try:
            target = os.readlink(os.path.join(root, path[: -len(LINK)]))
        except OSError:
            return None
        return digest(os.fsencode(target))
    if path.endswith(LISTING):
        try:
            names = sorted(os.listdir(os.path.join(root, path[: -len(LISTING)] or ".")))
        except OSError:
            return None
        return digest("\0".join(names).encode())
    return "dir" if os.path.isdir(os.path.join(root, path)) else None


def _above(root: Path, name: str) -> str | None:
    """The digest of every regular file called ``name`` in a folder above ``root``, by how
    far above it lies; None when there is none."""
    found: list[tuple[int, str]] = []
    for level, folder in enumerate(Path(os.path.abspath(root)).parents, start=1):
        path = folder / name
        if not path.is_file():
            continue
        try:
            found.append((level, digest(read_regular(str(path)))))
        except OSError as exc:  # one pytest cannot read either: its error is the state
            found.append((level, f"unreadable: {exc.errno}"))
    return digest(json.dumps(found).encode()) if found else None


def key_of(parts: Any) -> str:
    """A key over JSON-serializable parts."""
    return digest(json.dumps(parts, sort_keys=True, separators=(",", ":")).encode())
