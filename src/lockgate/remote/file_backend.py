"""A shared folder as the remote (NFS, SMB): one file per entry, written atomically.

Anyone who can write the share can put anything where an entry belongs, without the secret: a
FIFO (a read waits for ever), a link to ``/dev/zero`` (a read never ends) or out of the share,
a huge file. Entries are read only as regular files, links never followed (the entry's folder
included), at most :data:`MAX_ENTRY` bytes each; anything else is refused unread and counted.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

from lockgate.plainfiles import kind, read_regular
from lockgate.remote.errors import RemoteError, WriteRefused

_SAFE = re.compile(r"[0-9A-Za-z_-]{8,128}")
# An entry is a compressed JSON result: kilobytes, a few megabytes for a suite that read
# thousands of files. Beyond this it is not one, and reading it could exhaust memory.
MAX_ENTRY = 64 << 20
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class FileBackend:
    """Entry ``<key>`` in ``<root>/<key[:2]>/<key>``.

    Each entry is written under a name no other writer uses, then renamed into place: a
    reader sees a whole entry or none, and two writers of one key leave one whole entry
    (the same key holds the same verdict, so it does not matter whose).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[str] = []

    def _path(self, key: str) -> Path:
        if not _SAFE.fullmatch(key):
            raise RemoteError(f"cannot file the key {key!r}")
        return self.root / key[:2] / key

    def _check_root(self) -> None:
        if not self.root.is_dir():
            raise RemoteError(f"{self.root} is not a folder")

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """Read every entry that exists; an entry that is not a regular file in a plain folder
        of the share, or is too large, is left out and described in :attr:`problems`."""
        self._check_root()
        self.problems = []
        out: dict[str, bytes] = {}
        folders: dict[str, int | OSError | None] = {}
        try:
            for key in keys:
                path = self._path(key)
                try:
                    folder = self._folder(key[:2], folders)
                    if folder is None:
                        continue  # no entry under that prefix
                    out[key] = read_regular(key, limit=MAX_ENTRY, follow=False, dir_fd=folder)
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    self.problems.append(f"{path}: {exc.strerror}")
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

    def put_many(self, items: Mapping[str, bytes]) -> None:
        """Write every entry: temporary file, then rename."""
        self._check_root()
        if not os.access(self.root, os.W_OK):
            raise WriteRefused(f"{self.root} is read-only for this user")
        for key, data in items.items():
            path = self._path(key)
            temporary = path.with_name(f".{key}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
            try:
                path.parent.mkdir(exist_ok=True)
                temporary.write_bytes(data)
                os.replace(temporary, path)
            except PermissionError as exc:
                temporary.unlink(missing_ok=True)
                raise WriteRefused(f"{path}: {exc.strerror}") from None
            except OSError as exc:
                temporary.unlink(missing_ok=True)
                raise RemoteError(f"{path}: {exc.strerror}") from None

    def close(self) -> None:
        """Nothing is held open."""


def _not_a_folder(path: Path, exc: OSError) -> OSError:
    """Why the entry folder ``path`` was refused, in words: what it is instead, if it is."""
    try:
        what = kind(os.lstat(path).st_mode)
    except OSError:
        return exc
    return OSError(exc.errno, f"not a folder ({what})" if what else exc.strerror)
