"""What a remote backend is: get many entries, put many entries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from lockgate.errors import LockgateError
from lockgate.remote.file_backend import FileBackend
from lockgate.remote.pack import PackBackend
from lockgate.remote.settings import HTTP_SCHEMES, Settings


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


def open_backend(settings: Settings) -> Backend:
    """The backend for ``settings`` (a URL lockgate.remote.settings accepted, or a pack file);
    opening connects to nothing yet."""
    if settings.pack is not None:
        return PackBackend(settings.pack)
    parts = urlsplit(settings.url)
    if parts.scheme == "file":
        return FileBackend(Path(unquote(parts.path)))
    if parts.scheme in HTTP_SCHEMES:
        try:
            # lazy: each server's client is an optional extra; without it only that kind of
            # remote fails, and a run that uses no remote never pays for importing it
            from lockgate.remote.http_backend import HttpBackend
        except ImportError:
            raise LockgateError(
                "an http remote needs the urllib3 package: pip install 'lockgate[http]'"
            ) from None
        return HttpBackend(settings.url)
    try:
        # lazy: as above, lockgate[redis]
        from lockgate.remote.redis_backend import RedisBackend
    except ImportError:
        raise LockgateError(
            "a redis remote needs the redis package: pip install 'lockgate[redis]'"
        ) from None
    return RedisBackend(settings.url)
