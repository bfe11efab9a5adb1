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
