"""A Redis server as the remote: one pipeline of reads per batch, one pipelined write."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from lockgate.remote.errors import RemoteError, WriteRefused
from lockgate.store.schema import VARIANTS

PREFIX = "lockgate:"  # an entry as stored before variants: a string, read as its key's oldest
HASH = "lockgate:v:"  # a key's variants: a hash of variant → entry, and their order
ORDER = "order"  # the field of the variants, newest first (a variant is hexadecimal)
BATCH = 1000  # keys per command: large enough for few round trips, small enough not to stall
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0

# One variant written as its key's newest, and the key's oldest beyond VARIANTS evicted, at
# once on the server: two writers of one key never lose each other's variants.
_PUT = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local order, kept = {ARGV[1]}, redis.call('HGET', KEYS[1], 'order')
if kept then
  for variant in string.gmatch(kept, '%x+') do
    if variant ~= ARGV[1] then
      if #order < tonumber(ARGV[3]) then
        table.insert(order, variant)
      else
        redis.call('HDEL', KEYS[1], variant)
      end
    end
  end
end
redis.call('HSET', KEYS[1], 'order', table.concat(order, ' '))
"""


class RedisBackend:
    """A key's variants in the hash ``lockgate:v:<key>``; a server that is down or slow costs
    one timeout."""

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
        self._put = self._client.register_script(_PUT)

    def get_many(self, keys: Sequence[str]) -> dict[str, list[bytes]]:
        """Per batch, one pipeline: one MGET of the entries stored before variants, and the
        hash of every key. An answer of any other shape than a value (or nil) per key and a
        hash of values per key is the server's fault, never the run's."""
        out: dict[str, list[bytes]] = {}
        try:
            for chunk in _chunks(list(keys)):
                pipe = self._client.pipeline(transaction=False)
                pipe.mget([PREFIX + k for k in chunk])
                for key in chunk:
                    pipe.hgetall(HASH + key)
                answers = pipe.execute()
                if not isinstance(answers, list) or len(answers) != len(chunk) + 1:
                    raise RemoteError(
                        f"{len(chunk) + 1} reads were answered with {_shape(answers)}"
                    )
                legacy, *hashes = answers
                if not isinstance(legacy, list) or len(legacy) != len(chunk):
                    raise RemoteError(
                        f"MGET of {len(chunk)} keys was answered with {_shape(legacy)}"
                    )
                for key, found, old in zip(chunk, hashes, legacy, strict=True):
                    entries = _newest_first(found) + _values([old] if old is not None else [])
                    if entries:
                        out[key] = entries
        except redis.RedisError as exc:
            raise RemoteError(_describe(exc)) from None
        except (ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
            # the client library choking on an answer that is not Redis's (its handshake
            # reads fields a garbage reply lacks)
            raise RemoteError(
                f"the server's answer is not Redis's ({type(exc).__name__})"
            ) from None
        return out

    def put_many(self, items: Mapping[tuple[str, str], bytes]) -> None:
        """Every entry through the script above, pipelined: one round trip (and one more to
        load the script the first time a server sees it)."""
        pipe = self._client.pipeline(transaction=False)
        for (key, variant), data in items.items():
            self._put(keys=[HASH + key], args=[variant, data, VARIANTS], client=pipe)
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


def _newest_first(found: object) -> list[bytes]:
    """A key's entries from its hash, in the order it keeps (any other field last)."""
    if not isinstance(found, dict) or not all(isinstance(k, bytes) for k in found):
        raise RemoteError(f"HGETALL was answered with {_shape(found)}")
    fields: dict[bytes, object] = dict(found)
    order = fields.pop(ORDER.encode(), b"")
    if not isinstance(order, bytes):
        raise RemoteError(f"the order of a key's entries was {_shape(order)}")
    first = [fields.pop(v) for v in order.split() if v in fields]
    return _values([*first, *fields.values()])


def _values(found: list[object]) -> list[bytes]:
    """Entries as the server answered them: each must be a value."""
    for value in found:
        if not isinstance(value, bytes):
            raise RemoteError(f"a value was answered with {_shape(value)}")
    return [v for v in found if isinstance(v, bytes)]


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
