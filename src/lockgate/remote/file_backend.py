"""A shared folder as the remote (NFS, SMB): one file per entry, written atomically."""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from lockgate.remote.errors import RemoteError, WriteRefused
from lockgate.store.schema import VARIANTS

_SAFE = re.compile(r"[0-9A-Za-z_-]{8,128}")


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

    def _path(self, key: str) -> Path:
        """Where the key's entry lay before variants (``.`` is no key character, so no key's
        folder of variants is another key's entry)."""
        if not _SAFE.fullmatch(key):
            raise RemoteError(f"cannot file the key {key!r}")
        return self.root / key[:2] / key

    def _variants(self, key: str) -> Path:
        return self._path(key).with_name(f"{key}.v")

    def _check_root(self) -> None:
        if not self.root.is_dir():
            raise RemoteError(f"{self.root} is not a folder")

    def get_many(self, keys: Sequence[str]) -> dict[str, list[bytes]]:
        """Read every entry that exists."""
        self._check_root()
        out: dict[str, list[bytes]] = {}
        for key in keys:
            found = [
                *self._read(_newest_first(self._variants(key))),
                *self._read([self._path(key)]),
            ]
            if found:
                out[key] = found
        return out

    def _read(self, paths: list[Path]) -> list[bytes]:
        out = []
        for path in paths:
            try:
                out.append(path.read_bytes())
            except FileNotFoundError:
                continue  # none yet, or evicted since it was listed
            except OSError as exc:
                raise RemoteError(f"{path}: {exc.strerror}") from None
        return out

    def put_many(self, items: Mapping[tuple[str, str], bytes]) -> None:
        """Write every entry: temporary file, then rename; then evict the key's oldest."""
        self._check_root()
        if not os.access(self.root, os.W_OK):
            raise WriteRefused(f"{self.root} is read-only for this user")
        for (key, variant), data in items.items():
            folder = self._variants(key)
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
                for old in _newest_first(folder)[VARIANTS:]:
                    old.unlink(missing_ok=True)
            except PermissionError as exc:
                temporary.unlink(missing_ok=True)
                raise WriteRefused(f"{path}: {exc.strerror}") from None
            except OSError as exc:
                temporary.unlink(missing_ok=True)
                raise RemoteError(f"{path}: {exc.strerror}") from None

    def close(self) -> None:
        """Nothing is held open."""


def _newest_first(folder: Path) -> list[Path]:
    """The entries in a key's folder of variants, newest first (none when it does not exist);
    the temporary files of writers (``.``-names) are not entries."""
    found = []
    try:
        with os.scandir(folder) as listing:
            for item in listing:
                if item.name.startswith("."):
                    continue
                try:
                    found.append((item.stat().st_mtime_ns, item.name))
                except FileNotFoundError:
                    continue
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        raise RemoteError(f"{folder}: {exc.strerror}") from None
    return [folder / name for _, name in sorted(found, reverse=True)]
