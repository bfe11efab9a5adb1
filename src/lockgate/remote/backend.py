"""What a remote backend is: get many entries, put many entries. S3 or HTTP can follow."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from lockgate.errors import LockgateError
from lockgate.remote.file_backend import FileBackend


class Backend(Protocol):
    """Entries by key, read and written in batches (one round trip per batch, not per key).

    A key holds several entries, one per *variant* (the results of one input set for several
    contents observed at run time, see ``variant_of``), and keeps the newest
    ``lockgate.store.schema.VARIANTS`` of them.
    """

    # entries the last get_many found but refused unread ("where: why"): each is a remote
    # error of its own, never a failed call
    problems: list[str]

    def get_many(self, keys: Sequence[str]) -> dict[str, list[bytes]]:
        """The entries found for ``keys``, each key's newest first; keys without any are
        left out."""
        ...

    def put_many(self, items: Mapping[tuple[str, str], bytes]) -> None:
        """Store every entry under its (key, variant), as its key's newest, replacing that
        variant's; raises WriteRefused or RemoteError (lockgate.remote.errors)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def open_backend(url: str) -> Backend:
    """The backend for ``url`` (a scheme lockgate.remote.settings accepted); opening connects
    to nothing yet."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileBackend(Path(unquote(parts.path)))
    try:
        # lazy: redis is an optional extra (lockgate[redis]); without it only a redis remote
        # fails, and a run that uses no remote never pays for importing it
        from lockgate.remote.redis_backend import RedisBackend
    except ImportError:
        raise LockgateError(
            "a redis remote needs the redis package: pip install 'lockgate[redis]'"
        ) from None
    return RedisBackend(url)
