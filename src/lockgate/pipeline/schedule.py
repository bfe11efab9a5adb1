"""Work on paper: how a run's units would spread over W workers as static shards
(``--shard K/N``), as ``--shard auto`` claims them, and as Dask's work stealing places them.
``benchmarks/scale.py`` replays a store's recorded durations through these."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from lockgate.pipeline.shard import groups, place

# --shard auto's batches (remote/queue.py's claim script applies the same rule on the server):
# a claim takes the queue's first group, then the next ones while the batch's expected
# seconds stay within budget(). Batches shrink as the queue drains, so the jobs finish
# together; each costs one claim and one start of the test process, not one per group.
SMALLEST = 2.0  # seconds of expected work a batch may always hold
LARGEST = 120.0  # seconds a batch holds at most (beyond its first group): a lost job's rework
SHARE = 4.0  # a batch is at most 1/SHARE of each job's share of what is left


def budget(left: float, jobs: int, smallest: float = SMALLEST) -> float:
    """The expected seconds a new batch may hold when ``left`` seconds are queued and
    ``jobs`` jobs take from the queue."""
    return max(smallest, min(LARGEST, left / (SHARE * max(jobs, 1))))


def take(expected: Sequence[float], limit: float) -> int:
    """How many of the queue's front groups (their ``expected`` seconds) one batch takes:
    the first, then the next while the batch stays within ``limit``."""
    if not expected:
        return 0
    total, count = expected[0], 1
    while count < len(expected) and total + expected[count] <= limit:
        total += expected[count]
        count += 1
    return count


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

    workers: list[list[list[Unit]]]  # each worker's batches, each of one or more units
    overhead: float  # seconds each batch costs beyond its units' (a claim, a process start)

    @property
    def loads(self) -> list[float]:
        return [
            sum(u.actual for batch in batches for u in batch) + self.overhead * len(batches)
            for batches in self.workers
        ]

    @property
    def batches(self) -> int:
        return sum(len(b) for b in self.workers)

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
        """The worst rework (units, seconds) when one worker dies just before its batch in
        flight ends: that batch runs again (a static shard is one batch: its whole share, as
        it stores its results at the end; a claimed batch or a Dask task publishes or
        returns its results as it finishes)."""
        worst = max(
            (b for batches in self.workers for b in batches),
            key=lambda b: sum(u.actual for u in b),
            default=[],
        )
        return len(worst), sum(u.actual for u in worst)


def static(units: Sequence[Unit], workers: int, overhead: float = 0.0) -> Schedule:
    """``--shard K/N``: longest first (by the expected seconds) on the least loaded shard,
    fixed before anything runs; each shard then takes what its units actually take."""
    seconds = {f"f:{u.name}": u.expected for u in units}
    ordered = groups([u.name for u in units], [], {}, seconds)  # as pipeline/parts.py does
    by_name = {f"f:{u.name}": u for u in units}
    out: list[list[Unit]] = [[] for _ in range(workers)]
    for where, group in zip(place(ordered, workers), ordered, strict=True):
        out[where].append(by_name[group.lead])
    return Schedule([[share] if share else [] for share in out], overhead)


def claimed(
    units: Sequence[Unit], workers: int, overhead: float = 0.0, smallest: float = SMALLEST
) -> Schedule:
    """``--shard auto``: the queue holds the units longest first (expected seconds); each
    worker claims the next batch (:func:`budget`, :func:`take`) as soon as it is free."""
    queue = longest_first(units)
    left = sum(u.expected for u in queue)
    out: list[list[list[Unit]]] = [[] for _ in range(workers)]
    free = [(0.0, w) for w in range(workers)]
    front = 0
    while front < len(queue):
        at, worker = heapq.heappop(free)
        count = take([u.expected for u in queue[front:]], budget(left, workers, smallest))
        batch = queue[front : front + count]
        front += count
        left -= sum(u.expected for u in batch)
        out[worker].append(batch)
        heapq.heappush(free, (at + sum(u.actual for u in batch) + overhead, worker))
    return Schedule(out, overhead)


def listed(units: Sequence[Unit], workers: int, overhead: float = 0.0) -> Schedule:
    """List scheduling in the given order, one unit at a time: the next unit goes to the
    worker free first. Dask's work stealing approximates this with the order the client
    submitted (it knows no durations)."""
    out: list[list[list[Unit]]] = [[] for _ in range(workers)]
    free = [(0.0, w) for w in range(workers)]
    for unit in units:
        at, worker = heapq.heappop(free)
        out[worker].append([unit])
        heapq.heappush(free, (at + unit.actual + overhead, worker))
    return Schedule(out, overhead)


def longest_first(units: Sequence[Unit]) -> list[Unit]:
    """By expected seconds, longest first; ties by name."""
    return sorted(units, key=lambda u: (-u.expected, u.name))
