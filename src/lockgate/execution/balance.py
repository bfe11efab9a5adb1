"""A batch's test files shared out over its child processes by what each took last time.

Cut into equal counts in the batch's order, one child got every feature's test files and
935 s of suite time while the other had 119 s (issue 21). Files go longest first to the least
loaded child instead (a file with no known time counts as the mean of those known), and each
child runs its share in the batch's order. What each file took is kept in the store as one
fact, ``DURATIONS``: it decides no verdict, only who runs what.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Mapping, Sequence

from lockgate.execution.results import BatchResult

DURATIONS = "durations/test-files"
# A pool's test tasks (see tasks()): each at most 1/TASKS_PER_WORKER of a worker's share of
# what is left, and at least SMALLEST_TASK seconds (a task pays a pytest start, about 1 s)
TASKS_PER_WORKER = 2
SMALLEST_TASK = 2.0


def shares(files: Sequence[str], jobs: int, seconds: Mapping[str, float]) -> list[list[str]]:
    """``files`` in ``jobs`` shares of about equal time (by ``seconds``), in their order."""
    known = [seconds[f] for f in files if f in seconds]
    usual = sum(known) / len(known) if known else 1.0
    place = {f: i for i, f in enumerate(files)}
    loads = [(0.0, i) for i in range(jobs)]
    out: list[list[str]] = [[] for _ in range(jobs)]
    for name in sorted(files, key=lambda f: (-seconds.get(f, usual), place[f])):
        load, where = heapq.heappop(loads)
        out[where].append(name)
        heapq.heappush(loads, (load + seconds.get(name, usual), where))
    return [sorted(share, key=place.__getitem__) for share in out]


def tasks(files: Sequence[str], workers: int, seconds: Mapping[str, float]) -> list[list[str]]:
    """``files`` cut into tasks for a pool of ``workers`` (a Dask cluster's threads) that
    gives the next task to whoever is free: longest first, each task the next files while it
    stays within ``max(SMALLEST_TASK, left / (TASKS_PER_WORKER * workers))`` seconds (by
    ``seconds``; an unknown file counts as the mean). Tasks shrink as the work left does,
    so the workers finish together; each still pays one process start for several files."""
    known = [seconds[f] for f in files if f in seconds]
    usual = sum(known) / len(known) if known else 1.0
    order = {f: i for i, f in enumerate(files)}
    queue = sorted(files, key=lambda f: (-seconds.get(f, usual), order[f]))
    left = sum(seconds.get(f, usual) for f in queue)
    out: list[tuple[float, list[str]]] = []
    front = 0
    while front < len(queue):
        budget = max(SMALLEST_TASK, left / (TASKS_PER_WORKER * max(workers, 1)))
        task, total = [queue[front]], seconds.get(queue[front], usual)
        front += 1
        while front < len(queue) and total + seconds.get(queue[front], usual) <= budget:
            total += seconds.get(queue[front], usual)
            task.append(queue[front])
            front += 1
        left -= total
        out.append((total, sorted(task, key=order.__getitem__)))
    return [task for _total, task in sorted(out, key=lambda t: -t[0])]


def measured(batch: BatchResult) -> dict[str, float]:
    """What each test file of ``batch`` took, but those cut off (a timeout says nothing of
    what a whole run takes)."""
    return {name: o.seconds for name, o in batch.files.items() if not o.transient}


def parse(data: str | None) -> dict[str, float]:
    """The stored durations; none when there are none or they cannot be read."""
    try:
        found = json.loads(data) if data else {}
    except ValueError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k): float(v) for k, v in found.items() if isinstance(v, int | float) and v >= 0}


def dump(seconds: Mapping[str, float]) -> str:
    """The durations as stored."""
    return json.dumps({k: round(v, 3) for k, v in sorted(seconds.items())})
