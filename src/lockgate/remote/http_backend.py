"""An HTTP cache server as the remote: GET and PUT of key → blob, as teams already run them.

The URL's scheme picks the layout (where a key's blob lives under the URL's path):

    http(s)://        bazel-remote and similar: ``<path>/ac/<name>``
    webdav+http(s)://  WebDAV (nginx, Artifactory): ``<path>/<name[:2]>/<name>``, folders
                       made with MKCOL when missing
    turbo+http(s)://   Turborepo's API: ``<path>/v8/artifacts/<name>``, the URL's query
                       (``?teamId=...`` or ``?slug=...``) on every request
    nx+http(s)://      Nx's self-hosted cache API: ``<path>/v1/cache/<name>``

``<name>`` is the SHA-256 of lockgate's name for the key (64 hex digits, what bazel-remote
requires). Authentication: ``LOCKGATE_REMOTE_TOKEN`` as a Bearer token, or the URL's
``user:password@`` as Basic. A key's variants travel as one blob (newest first), so a write
reads the blob, puts its variant first, and writes it back; two writers of one key at once
may lose one variant, which then runs again (a cache, not a record). Nx's API never replaces
a blob: a key keeps its first writer's variants there.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

import urllib3

from lockgate.remote.bundle import pack_variants, unpack_variants
from lockgate.remote.errors import RemoteError, WriteRefused
from lockgate.remote.file_backend import MAX_ENTRY
from lockgate.store.schema import VARIANTS

TOKEN_ENV = "LOCKGATE_REMOTE_TOKEN"
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0
THREADS = 8  # requests in flight: one round trip per key, so latency, not bandwidth, bounds it
_T = TypeVar("_T")
_LIMIT = MAX_ENTRY * VARIANTS  # a key's blob: its variants, each within the entry limit


class HttpBackend:
    """A key's variants in one blob at the layout's path for it."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.layout, _, scheme = parts.scheme.rpartition("+")
        host = parts.netloc.rpartition("@")[2]
        self._base = urlunsplit((scheme, host, parts.path.rstrip("/"), "", ""))
        self._query = f"?{parts.query}" if parts.query else ""
        self._headers: dict[str, str] = {}
        token = os.environ.get(TOKEN_ENV)
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        elif parts.username is not None:
            basic = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            self._headers.update(urllib3.make_headers(basic_auth=basic))
        self._pool = urllib3.PoolManager(
            maxsize=THREADS,
            retries=False,  # a down server costs one timeout, not one per retry
            timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
        )
        self.problems: list[str] = []

    def _url(self, name: str) -> str:
        blob = hashlib.sha256(f"lockgate/{name}".encode()).hexdigest()
        if self.layout == "webdav":
            return f"{self._base}/{blob[:2]}/{blob}"
        if self.layout == "turbo":
            return f"{self._base}/v8/artifacts/{blob}{self._query}"
        if self.layout == "nx":
            return f"{self._base}/v1/cache/{blob}"
        return f"{self._base}/ac/{blob}"

    def _request(self, method: str, url: str, body: bytes | None = None) -> tuple[int, bytes]:
        """One request: its status and (for a GET that found the blob) its body, read up to
        the size limit; a transport failure is a RemoteError."""
        headers = dict(self._headers)
        if body is not None:
            headers["Content-Type"] = "application/octet-stream"
        try:
            response = self._pool.request(
                method, url, body=body, headers=headers, preload_content=False, redirect=False
            )
            data = b""
            try:
                data = response.read(_LIMIT + 1)
            finally:
                # a body read to its end leaves the connection for the next request; one cut
                # short would garble that request's answer
                if len(data) > _LIMIT:
                    response.close()
                else:
                    response.release_conn()
        except urllib3.exceptions.HTTPError as exc:
            raise RemoteError(f"{method} failed: {type(exc).__name__}") from None
        if len(data) > _LIMIT:
            raise RemoteError(f"{method} answered more than {_LIMIT} bytes")
        return response.status, data if response.status == 200 else b""

    def get_many(self, keys: Sequence[str]) -> dict[str, list[bytes]]:
        """Every key's blob that exists, read in parallel; a blob that is not lockgate's is
        left out and described in :attr:`problems`."""
        self.problems = []
        found = _parallel(self._get, keys)
        return {k: entries for k, entries in zip(keys, found, strict=True) if entries}

    def _get(self, key: str) -> list[bytes]:
        url = self._url(key)
        status, data = self._request("GET", url)
        if status == 404:
            return []
        if status != 200:
            raise RemoteError(f"GET answered {status}")
        found = unpack_variants(data)
        if found is None:
            self.problems.append(f"{url.split('?')[0]}: not an entry of lockgate's")
            return []
        return [entry for _, entry in found]

    def put_many(self, items: Mapping[tuple[str, str], bytes]) -> None:
        """Every key's blob with its new variants first, written in parallel."""
        by_key: dict[str, dict[str, bytes]] = {}
        for (key, variant), data in items.items():
            by_key.setdefault(key, {})[variant] = data
        _parallel(lambda key: self._put(key, by_key[key]), list(by_key))

    def _put(self, key: str, new: dict[str, bytes]) -> None:
        url = self._url(key)
        status, data = self._request("GET", url)
        held = unpack_variants(data) if status == 200 else []
        kept = [(v, e) for v, e in held or [] if v not in new]
        blob = pack_variants([*new.items(), *kept][:VARIANTS])
        status, _ = self._request("PUT", url, blob)
        if status in (404, 409) and self.layout == "webdav":
            self._request("MKCOL", url.rpartition("/")[0] + "/")
            status, _ = self._request("PUT", url, blob)
        if status == 409 and self.layout == "nx":
            return  # Nx's API keeps a blob's first writer
        if status in (401, 403, 405):
            raise WriteRefused(f"PUT answered {status}")
        if status not in (200, 201, 202, 204):
            raise RemoteError(f"PUT answered {status}")

    def close(self) -> None:
        """Close the connection pool."""
        self._pool.clear()


class _Stopped(Exception):
    """Another request failed first: this one was not sent."""


def _parallel(work: Callable[[str], _T], keys: Sequence[str]) -> list[_T]:
    """``work`` for each key on a few threads; the first failure stops the rest (a server
    that is down costs one timeout, not one per key) and is raised."""
    failures: list[RemoteError] = []

    def one(key: str) -> _T:
        if failures:
            raise _Stopped
        try:
            return work(key)
        except RemoteError as exc:
            failures.append(exc)
            raise

    with ThreadPoolExecutor(max(1, min(THREADS, len(keys)))) as pool:
        try:
            return list(pool.map(one, keys))
        except (RemoteError, _Stopped):
            raise failures[0] from None
