"""``--shard auto``'s queue in a Redis remote: the jobs of one run claim batches of groups of
work from it, longest first, smaller batches as the queue drains.

Each claim is a lease that expires unless its holder renews it; a batch whose lease expired
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

# The keys of one queue, in the scripts' KEYS order
PARTS = ("pending", "leases", "done", "left", "seconds", "batches", "jobs")
# pending: list of groups; leases: zset batch → expiry (server ms); done: set of batches;
# left: the expected seconds still pending; seconds: hash group → expected seconds;
# batches: hash batch → its groups (and "" → the last batch number); jobs: set of job ids

# ARGV: ttl, job, then group and expected seconds pairs in the order to claim them. Only the
# first job fills; every job counts itself (batches shrink with the jobs there are).
_FILL = """
if redis.call('SET', KEYS[4], '0', 'NX', 'EX', ARGV[1]) then
  local total = 0
  for i = 3, #ARGV, 2 do
    redis.call('RPUSH', KEYS[1], ARGV[i])
    redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1])
    total = total + tonumber(ARGV[i + 1])
  end
  redis.call('SET', KEYS[4], tostring(total), 'EX', ARGV[1])
end
redis.call('SADD', KEYS[7], ARGV[2])
for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ARGV[1]) end
"""

# ARGV: lease in ms, ttl, drained ttl, smallest batch (s), largest batch (s), share. Takes
# the first batch whose lease expired, else a new batch from the front of pending: its first
# group, then the next ones while the batch stays within
#   max(smallest, min(largest, left / (share * jobs)))   (pipeline/schedule.py: budget)
# Returns {batch, groups} claimed, {'', ms} to wait for leases others hold, or {} when done.
_CLAIM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local batch = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1)[1]
if not batch then
  local first = redis.call('LPOP', KEYS[1])
  if first then
    local left = tonumber(redis.call('GET', KEYS[4]) or '0')
    local jobs = math.max(redis.call('SCARD', KEYS[7]), 1)
    local budget = math.max(tonumber(ARGV[4]),
      math.min(tonumber(ARGV[5]), left / (tonumber(ARGV[6]) * jobs)))
    local groups = {first}
    local sum = tonumber(redis.call('HGET', KEYS[5], first) or '0')
    while true do
      local nxt = redis.call('LINDEX', KEYS[1], 0)
      if not nxt then break end
      local s = tonumber(redis.call('HGET', KEYS[5], nxt) or '0')
      if sum + s > budget then break end
      redis.call('LPOP', KEYS[1])
      table.insert(groups, nxt)
      sum = sum + s
    end
    redis.call('SET', KEYS[4], tostring(math.max(left - sum, 0)))
    batch = 'b' .. redis.call('HINCRBY', KEYS[6], '', 1)
    redis.call('HSET', KEYS[6], batch, table.concat(groups, '\\n'))
  end
end
local ttl = ARGV[2]
local out = {}
if batch then
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), batch)
  out = {batch, redis.call('HGET', KEYS[6], batch)}
else
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if first[1] then
    out = {'', tostring(tonumber(first[2]) - now)}
  else
    ttl = ARGV[3]
  end
end
for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ttl) end
return out
"""

# ARGV: batch, lease in ms. Only a lease still held (not done, not yet taken back) is renewed.
_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZADD', KEYS[2], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1])
"""

# ARGV: batch.
_DONE = """
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
"""


@dataclass(frozen=True)
class Claim:
    """What a claim got: a batch of groups, or how long to wait for another job's lease (no
    batch and a wait of 0: every group is done)."""

    batch: str | None
    groups: tuple[str, ...] = ()
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
        self._keys = [base + part for part in PARTS]

    def _call(self, script: Any, args: list[object]) -> Any:
        assert self._keys, "name the queue first"
        try:
            return script(keys=self._keys, args=args)
        except self._errors as exc:
            raise LockgateError(f"--shard auto: the queue in the remote failed: {exc}") from None

    def fill(self, job: str, groups: list[tuple[str, float]]) -> None:
        """Queue ``groups`` (name, expected seconds) in this order, unless a job of the run
        did already, and count ``job`` among the run's jobs."""
        self._call(self._fill, [TTL, job, *(x for g, s in groups for x in (g, repr(s)))])

    def claim(self, smallest: float, largest: float, share: float) -> Claim:
        """The next batch: one whose lease expired, else a new one from the front of the
        queue, within ``max(smallest, min(largest, left / (share * jobs)))`` expected seconds
        unless its first group alone is more."""
        got = self._call(
            self._claim, [self._ms, TTL, DRAINED_TTL, repr(smallest), repr(largest), repr(share)]
        )
        if not got:
            return Claim(None)
        if got[0]:
            return Claim(got[0].decode(), tuple(got[1].decode().split("\n")))
        return Claim(None, (), max(int(got[1]), 1) / 1000)

    def renew(self, batch: str) -> bool:
        """Extend the lease on ``batch``; False when it is no longer leased (done, or the
        queue expired)."""
        return bool(self._call(self._renew, [batch, self._ms]))

    def done(self, batch: str) -> None:
        """``batch`` is validated and its results published: never claimed again."""
        self._call(self._done, [batch])

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
