"""What a remote backend is: get many entries, put many entries. S3 or HTTP can follow."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from lockgate.errors import LockgateError


class RemoteError(Exception):
    """The remote could not be read or written: down, slow, or refusing."""


class WriteRefused(RemoteError):
    """The remote lets this client read but not write."""


class Backend(Protocol):
    """Entries by key, read and written in batches (one round trip per batch, not per key)."""

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The entries found for ``keys``; missing keys are left out."""
        ...

    def put_many(self, items: Mapping[str, bytes]) -> None:
        """Store every entry; raises WriteRefused or RemoteError."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def open_backend(url: str) -> Backend:
    """The backend for ``url`` (a scheme lockgate.remote.settings accepted); opening connects
    to nothing yet."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        from lockgate.remote.file_backend import FileBackend

        return FileBackend(Path(unquote(parts.path)))
    try:
        from lockgate.remote.redis_backend import RedisBackend
    except ImportError:
        raise LockgateError(
            "a redis remote needs the redis package: pip install 'lockgate[redis]'"
        ) from None
    return RedisBackend(url)
