"""A shared folder as the remote (NFS, SMB): one file per entry, written atomically."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

from lockgate.remote.errors import RemoteError, WriteRefused

_SAFE = re.compile(r"[0-9A-Za-z_-]{8,128}")


class FileBackend:
    """Entry ``<key>`` in ``<root>/<key[:2]>/<key>``.

    Each entry is written under a name no other writer uses, then renamed into place: a
    reader sees a whole entry or none, and two writers of one key leave one whole entry
    (the same key holds the same verdict, so it does not matter whose).
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _SAFE.fullmatch(key):
            raise RemoteError(f"cannot file the key {key!r}")
        return self.root / key[:2] / key

    def _check_root(self) -> None:
        if not self.root.is_dir():
            raise RemoteError(f"{self.root} is not a folder")

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """Read every entry that exists."""
        self._check_root()
        out: dict[str, bytes] = {}
        for key in keys:
            try:
                out[key] = self._path(key).read_bytes()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise RemoteError(f"{self._path(key)}: {exc.strerror}") from None
        return out

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
