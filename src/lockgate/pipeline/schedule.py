"""Work on paper: how a run's units would spread over W workers as static shards
(``--shard K/N``), as ``--shard auto`` claims them, and as Dask's work stealing places them.
``benchmarks/scale.py`` replays a store's recorded durations through these."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from lockgate.pipeline.shard import groups, place


@dataclass(frozen=True)
class Unit:
    """One unit of work: what the plan expected it to take (last time's seconds) and what it
    takes this time."""

    name: str
    expected: float
    actual: float


@dataclass(frozen=True)
class Schedule:
    """Each worker's units, in the order it ran them, and its busy seconds."""

    workers: list[list[Unit]]
    overhead: float  # seconds each unit (claimed) or each shard (static) costs beyond its own
    per_unit: bool = True  # False: a static shard, which pays its overhead once

    @property
    def loads(self) -> list[float]:
        return [sum(u.actual for u in units) + self._overheads(units) for units in self.workers]

    def _overheads(self, units: list[Unit]) -> float:
        return self.overhead * len(units) if self.per_unit else (self.overhead if units else 0.0)

    @property
    def makespan(self) -> float:
        """When the last worker finishes (workers never wait: every unit is ready at 0)."""
        return max(self.loads, default=0.0)

    @property
    def imbalance(self) -> float:
        """The slowest worker ÷ the mean worker: 1 is perfect."""
        loads = self.loads
        mean = sum(loads) / len(loads) if loads else 0.0
        return self.makespan / mean if mean else 1.0

    def lost_worker(self) -> tuple[int, float]:
        """The worst rework (units, seconds) when one worker dies: a static shard killed just
        before its end reruns its whole share (it stores its results at the end); a worker
        that claims, or a Dask worker, loses only the unit in flight (the others are stored
        or returned as each finishes), at worst the longest one, just before it ends."""
        if not any(self.workers):
            return 0, 0.0
        if not self.per_unit:
            worst = max(self.workers, key=lambda units: sum(u.actual for u in units))
            return len(worst), sum(u.actual for u in worst)
        return 1, max(u.actual for units in self.workers for u in units)


def static(units: Sequence[Unit], workers: int, overhead: float = 0.0) -> Schedule:
    """``--shard K/N``: longest first (by the expected seconds) on the least loaded shard,
    fixed before anything runs; each shard then takes what its units actually take."""
    seconds = {f"f:{u.name}": u.expected for u in units}
    ordered = groups([u.name for u in units], [], {}, seconds)  # as pipeline/parts.py does
    by_name = {f"f:{u.name}": u for u in units}
    out: list[list[Unit]] = [[] for _ in range(workers)]
    for where, group in zip(place(ordered, workers), ordered, strict=True):
        out[where].append(by_name[group.lead])
    return Schedule(out, overhead, per_unit=False)


def claimed(units: Sequence[Unit], workers: int, overhead: float = 0.0) -> Schedule:
    """``--shard auto``: the queue holds the units longest first (expected seconds); each
    worker claims the next one as soon as it is free."""
    return listed(longest_first(units), workers, overhead)


def listed(units: Sequence[Unit], workers: int, overhead: float = 0.0) -> Schedule:
    """List scheduling in the given order: the next unit goes to the worker free first. Dask's
    work stealing approximates this with the order the client submitted (it knows no
    durations)."""
    out: list[list[Unit]] = [[] for _ in range(workers)]
    free = [(0.0, w) for w in range(workers)]
    for unit in units:
        at, worker = heapq.heappop(free)
        out[worker].append(unit)
        heapq.heappush(free, (at + unit.actual + overhead, worker))
    return Schedule(out, overhead)


def longest_first(units: Sequence[Unit]) -> list[Unit]:
    """By expected seconds, longest first; ties by name."""
    return sorted(units, key=lambda u: (-u.expected, u.name))
