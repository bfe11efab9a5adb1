"""A Redis server as the remote: one MGET per batch to read, one pipelined MSET to write."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from lockgate.remote.errors import RemoteError, WriteRefused

PREFIX = "lockgate:"
BATCH = 1000  # keys per command: large enough for few round trips, small enough not to stall
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0


class RedisBackend:
    """Entries under ``lockgate:<key>``; a server that is down or slow costs one timeout."""

    def __init__(self, url: str) -> None:
        self.problems: list[str] = []  # a value is whatever the server answers: none refused
        # No retries: a run that cannot reach the remote goes on from the local store, so
        # retrying would only make a down server cost several timeouts instead of one.
        try:
            self._client: Any = redis.Redis.from_url(
                url,
                socket_connect_timeout=CONNECT_TIMEOUT,
                socket_timeout=READ_TIMEOUT,
                retry=Retry(NoBackoff(), 0),
            )
        except ValueError as exc:  # a URL redis cannot parse (a database that is no number)
            raise RemoteError(str(exc)) from None

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """MGET in batches; an answer of any other shape than one value (or nil) per key is
        the server's fault, never the run's."""
        out: dict[str, bytes] = {}
        try:
            for chunk in _chunks(list(keys)):
                values = self._client.mget([PREFIX + k for k in chunk])
                if not isinstance(values, list) or len(values) != len(chunk):
                    raise RemoteError(
                        f"MGET of {len(chunk)} keys was answered with {_shape(values)}"
                    )
                for key, value in zip(chunk, values, strict=True):
                    if value is not None and not isinstance(value, bytes):
                        raise RemoteError(f"MGET was answered with {_shape(value)} for a value")
                    if value is not None:
                        out[key] = value
        except redis.RedisError as exc:
            raise RemoteError(_describe(exc)) from None
        except (ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
            # the client library choking on an answer that is not Redis's (its handshake
            # reads fields a garbage reply lacks)
            raise RemoteError(
                f"the server's answer is not Redis's ({type(exc).__name__})"
            ) from None
        return out

    def put_many(self, items: Mapping[str, bytes]) -> None:
        """MSET in batches, pipelined: one round trip."""
        pipe = self._client.pipeline(transaction=False)
        keys = list(items)
        for chunk in _chunks(keys):
            pipe.mset({PREFIX + k: items[k] for k in chunk})
        try:
            pipe.execute()
        except redis.exceptions.NoPermissionError as exc:
            raise WriteRefused(_describe(exc)) from None
        except redis.RedisError as exc:
            raise RemoteError(_describe(exc)) from None
        except (ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
            raise RemoteError(
                f"the server's answer is not Redis's ({type(exc).__name__})"
            ) from None

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def _describe(exc: redis.RedisError) -> str:
    # a pipeline's error quotes the command, keys and all; the server's own words suffice
    text = str(exc).rpartition("caused error: ")[2].strip()
    return text or type(exc).__name__


def _shape(value: object) -> str:
    """What an answer was, for a message: never its content."""
    if isinstance(value, list):
        return f"an array of {len(value)}"
    return f"a value of type {type(value).__name__}"


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), BATCH):
        yield items[i : i + BATCH]
