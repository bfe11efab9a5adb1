"""``--shard auto``'s queue in a Redis remote: the jobs of one run claim groups of work from it.

Each claim is a lease that expires unless its holder renews it; a group whose lease expired
is claimed again first, so a job that dies loses only what it held. Every operation is one
Lua script: atomic on the server. The keys live under ``lockgate:q:<name>:`` (the run id and
the run's work, see pipeline/claim.py) and expire ``TTL`` after the last call.

The queue only decides which job runs what: no verdict is ever read from it. A queue that was
tampered with can make the jobs skip work, never pass it: the final ``align`` or ``deploy``
runs whatever no job stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lockgate.errors import LockgateError
from lockgate.remote.settings import Settings

PREFIX = "lockgate:q:"
TTL = 24 * 3600  # seconds the queue outlives its last call (a retried job may come late)
DRAINED_TTL = 600  # once every group is done
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0
QUEUE_SCHEMES = ("redis", "rediss", "unix")

# KEYS: pending (list), leases (zset group → expiry in ms), done (set), filled (string)
# ARGV: ttl, then the groups in the order to claim them. Only the first job fills.
_FILL = """
if redis.call('SET', KEYS[4], '1', 'NX', 'EX', ARGV[1]) then
  for i = 2, #ARGV, 1000 do
    redis.call('RPUSH', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
  end
end
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ARGV[1]) end
"""

# ARGV: lease in ms, ttl, drained ttl. Returns {group} claimed, {'', ms} to wait for leases
# others hold, or {} when every group is done.
_CLAIM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
local group = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1)[1]
if not group then group = redis.call('LPOP', KEYS[1]) end
local ttl = ARGV[2]
local out = {}
if group then
  redis.call('ZADD', KEYS[2], now + lease, group)
  out = {group}
else
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if first[1] then
    out = {'', tostring(tonumber(first[2]) - now)}
  else
    ttl = ARGV[3]
  end
end
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ttl) end
return out
"""

# ARGV: group, lease in ms. Only a lease still held (not done, not yet taken back) is renewed.
_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZADD', KEYS[2], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1])
"""

# ARGV: group.
_DONE = """
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
"""


@dataclass(frozen=True)
class Claim:
    """What a claim got: a group, or how long to wait for another job's lease (a group none
    is None and wait 0 means every group is done)."""

    group: str | None
    wait: float = 0.0


class WorkQueue:
    """One run's queue of groups in a Redis server."""

    def __init__(self, url: str, lease: float) -> None:
        try:
            # lazy: the redis client is the optional extra lockgate[redis], as for the backend
            import redis
        except ImportError:
            raise LockgateError(
                "a redis remote needs the redis package: pip install 'lockgate[redis]'"
            ) from None
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, ValueError)
        self.lease = lease
        self._keys: list[str] = []
        try:
            self._client: Any = redis.Redis.from_url(
                url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=READ_TIMEOUT
            )
        except ValueError as exc:
            raise LockgateError(f"--shard auto: the remote's URL: {exc}") from None
        self._fill = self._client.register_script(_FILL)
        self._claim = self._client.register_script(_CLAIM)
        self._renew = self._client.register_script(_RENEW)
        self._done = self._client.register_script(_DONE)

    def name(self, name: str) -> None:
        """Use the queue ``name`` (pipeline/claim.py: the run id and the run's work)."""
        base = PREFIX + name + ":"
        self._keys = [base + part for part in ("pending", "leases", "done", "filled")]

    def _call(self, script: Any, args: list[object]) -> Any:
        assert self._keys, "name the queue first"
        try:
            return script(keys=self._keys, args=args)
        except self._errors as exc:
            raise LockgateError(f"--shard auto: the queue in the remote failed: {exc}") from None

    def fill(self, groups: list[str]) -> None:
        """Queue ``groups`` in this order, unless a job of the run did already."""
        self._call(self._fill, [TTL, *groups])

    def claim(self) -> Claim:
        """The next group: one whose lease expired, else the next never claimed."""
        got = self._call(self._claim, [self._ms, TTL, DRAINED_TTL])
        if not got:
            return Claim(None)
        if got[0]:
            return Claim(got[0].decode())
        return Claim(None, max(int(got[1]), 1) / 1000)

    def renew(self, group: str) -> bool:
        """Extend the lease on ``group``; False when it is no longer leased (done, or the
        queue expired)."""
        return bool(self._call(self._renew, [group, self._ms]))

    def done(self, group: str) -> None:
        """``group`` is validated and its results published: never claimed again."""
        self._call(self._done, [group])

    def finished(self) -> set[str]:
        """The groups done so far."""
        try:
            return {g.decode() for g in self._client.smembers(self._keys[2])}
        except self._errors as exc:
            raise LockgateError(f"--shard auto: the queue in the remote failed: {exc}") from None

    @property
    def _ms(self) -> int:
        return max(int(self.lease * 1000), 1)

    def close(self) -> None:
        self._client.close()


def open_queue(settings: Settings | None, lease: float) -> WorkQueue:
    """The queues in the remote of ``settings`` (name one before use); a remote without
    queues (none, a folder, HTTP, a pack file) is one line for the user."""
    scheme = urlsplit(settings.url).scheme if settings is not None else ""
    if settings is None or settings.pack is not None or scheme not in QUEUE_SCHEMES:
        what = f"{scheme}:// remote" if settings is not None else "run without a remote"
        raise LockgateError(
            f"--shard auto needs a Redis remote to hold its queue (--remote redis://...); "
            f"a {what} has none: use --shard K/N"
        )
    if settings.read_only:
        raise LockgateError(
            "--shard auto needs a remote it may write: the remote is read_only; use --shard K/N"
        )
    return WorkQueue(settings.url, lease)
