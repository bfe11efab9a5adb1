"""A shared folder as the remote (NFS, SMB): one file per entry, written atomically.

Anyone who can write the share can put anything where an entry belongs, without the secret: a
FIFO (a read waits for ever), a link to ``/dev/zero`` (a read never ends) or out of the share,
a huge file. Entries are read only as regular files, links never followed (the entry's folders
included), at most :data:`MAX_ENTRY` bytes each; anything else is refused unread and counted.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from lockgate.plainfiles import kind, read_regular
from lockgate.remote.errors import RemoteError, WriteRefused
from lockgate.store.schema import VARIANTS

_SAFE = re.compile(r"[0-9A-Za-z_-]{8,128}")
# An entry is a compressed JSON result: kilobytes, a few megabytes for a suite that read
# thousands of files. Beyond this it is not one, and reading it could exhaust memory.
MAX_ENTRY = 64 << 20
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class FileBackend:
    """The variants of key ``<key>`` in ``<root>/<key[:2]>/<key>.v/<variant>``, newest by
    modification time; an entry in the layout before variants, ``<root>/<key[:2]>/<key>``, is
    read as the key's oldest.

    Each entry is written under a name no other writer uses, then renamed into place: a
    reader sees a whole entry or none, and two writers of one variant leave one whole entry
    (the same key and observed contents hold the same verdict, so it does not matter whose).
    Two writers of different variants of one key both keep theirs.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[str] = []

    def _path(self, key: str) -> Path:
        """Where the key's entry lay before variants (``.`` is no key character, so no key's
        folder of variants is another key's entry)."""
        if not _SAFE.fullmatch(key):
            raise RemoteError(f"cannot file the key {key!r}")
        return self.root / key[:2] / key

    def _check_root(self) -> None:
        if not self.root.is_dir():
            raise RemoteError(f"{self.root} is not a folder")

    def get_many(self, keys: Sequence[str]) -> dict[str, list[bytes]]:
        """Read every entry that exists, each key's newest first; an entry that is not a
        regular file in plain folders of the share, or is too large, is left out and
        described in :attr:`problems`."""
        self._check_root()
        self.problems = []
        out: dict[str, list[bytes]] = {}
        folders: dict[str, int | OSError | None] = {}
        try:
            for key in keys:
                path = self._path(key)
                try:
                    folder = self._folder(key[:2], folders)
                except OSError as exc:
                    self.problems.append(f"{path}: {exc.strerror}")
                    continue
                if folder is None:
                    continue  # no entry under that prefix
                found = [*self._variants(folder, path), *self._read(folder, [key], path.parent)]
                if found:
                    out[key] = found
        finally:
            for fd in folders.values():
                if isinstance(fd, int):
                    os.close(fd)
        return out

    def _folder(self, name: str, opened: dict[str, int | OSError | None]) -> int | None:
        """A descriptor of the entry folder ``name`` (None when absent), never through a link:
        raises the OSError that refused it, once per key."""
        if name not in opened:
            try:
                opened[name] = os.open(self.root / name, _FOLDER)
            except FileNotFoundError:
                opened[name] = None
            except OSError as exc:
                opened[name] = _not_a_folder(self.root / name, exc)
        found = opened[name]
        if isinstance(found, OSError):
            raise found
        return found

    def _variants(self, prefix: int, path: Path) -> list[bytes]:
        """The entries in the key's folder of variants, newest first, through descriptors."""
        where = path.with_name(f"{path.name}.v")
        try:
            folder = os.open(where.name, _FOLDER, dir_fd=prefix)
        except FileNotFoundError:
            return []
        except OSError as exc:
            self.problems.append(f"{where}: {_not_a_folder(where, exc).strerror}")
            return []
        try:
            return self._read(folder, _newest_first(folder), where)
        finally:
            os.close(folder)

    def _read(self, folder: int, names: list[str], where: Path) -> list[bytes]:
        """The regular files ``names`` of ``folder``, within the size limit; a name that is
        gone is skipped (evicted since it was listed), any other refusal is a problem."""
        out = []
        for name in names:
            try:
                out.append(read_regular(name, limit=MAX_ENTRY, follow=False, dir_fd=folder))
            except FileNotFoundError:
                continue
            except OSError as exc:
                self.problems.append(f"{where / name}: {exc.strerror}")
        return out

    def put_many(self, items: Mapping[tuple[str, str], bytes]) -> None:
        """Write every entry: temporary file, then rename; then evict the key's oldest."""
        self._check_root()
        if not os.access(self.root, os.W_OK):
            raise WriteRefused(f"{self.root} is read-only for this user")
        for (key, variant), data in items.items():
            folder = self._path(key).with_name(f"{key}.v")
            if not _SAFE.fullmatch(variant):
                raise RemoteError(f"cannot file the variant {variant!r}")
            path = folder / variant
            temporary = folder / f".{variant}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
            try:
                folder.mkdir(parents=True, exist_ok=True)
                temporary.write_bytes(data)
                # the order of a key's variants: the clock's nanoseconds, not the file
                # system's coarser tick, so that entries written in a row keep their order
                now = time.time_ns()
                os.utime(temporary, ns=(now, now))
                os.replace(temporary, path)
                _evict(folder)
            except PermissionError as exc:
                temporary.unlink(missing_ok=True)
                raise WriteRefused(f"{path}: {exc.strerror}") from None
            except OSError as exc:
                temporary.unlink(missing_ok=True)
                raise RemoteError(f"{path}: {exc.strerror}") from None

    def close(self) -> None:
        """Nothing is held open."""


def _newest_first(folder: int) -> list[str]:
    """The names of the entries in a key's folder of variants (a descriptor), newest first by
    their own modification time (links not followed); writers' temporary files (``.``-names)
    are not entries."""
    with os.scandir(folder) as listing:
        names = [item.name for item in listing if not item.name.startswith(".")]
    if len(names) < 2:  # most keys hold one variant: nothing to order
        return names
    found = []
    for name in names:
        try:
            found.append((os.stat(name, dir_fd=folder, follow_symlinks=False).st_mtime_ns, name))
        except FileNotFoundError:
            continue
    return [name for _, name in sorted(found, reverse=True)]


def _evict(folder: Path) -> None:
    """Remove the entries of a key's folder of variants beyond its newest ``VARIANTS``."""
    fd = os.open(folder, _FOLDER)
    try:
        for name in _newest_first(fd)[VARIANTS:]:
            try:
                os.unlink(name, dir_fd=fd)
            except FileNotFoundError:
                continue  # another writer evicted it
    finally:
        os.close(fd)


def _not_a_folder(path: Path, exc: OSError) -> OSError:
    """Why the entry folder ``path`` was refused, in words: what it is instead, if it is."""
    try:
        what = kind(os.lstat(path).st_mode)
    except OSError:
        return exc
    return OSError(exc.errno, f"not a folder ({what})" if what else exc.strerror)
