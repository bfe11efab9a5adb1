"""``--shard K/N``: a stable split of a run's work into N parts, one per CI matrix job."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lockgate.errors import LockgateError
from lockgate.keys.hashing import digest


@dataclass(frozen=True)
class Shard:
    """Part ``index`` (from 1) of ``count``."""

    index: int
    count: int


def parse(text: str) -> Shard:
    """``"K/N"`` as a shard; anything else is one line for the user."""
    index, slash, count = text.partition("/")
    if slash and index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count):
        return Shard(int(index), int(count))
    raise LockgateError(
        f"--shard {text!r}: expected K/N with 1 <= K <= N (whole numbers), e.g. --shard 1/4"
    )


class _Groups:
    """Union-find over work units: what must run together ends up in one group."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def add(self, unit: str) -> None:
        self._parent.setdefault(unit, unit)

    def find(self, unit: str) -> str:
        root = unit
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[unit] != root:
            self._parent[unit], unit = root, self._parent[unit]
        return root

    def join(self, a: str, b: str) -> None:
        self.add(a)
        self.add(b)
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)  # the smaller name leads: stable

    def members(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for unit in sorted(self._parent):
            out.setdefault(self.find(unit), []).append(unit)
        return out


def split(
    features: Iterable[str],
    suite: Iterable[str],
    tests_of: Mapping[str, list[str]],
    seconds: Mapping[str, float],
    shard: Shard,
) -> tuple[set[str], set[str]]:
    """The features and the suite test files shard ``shard`` validates.

    A feature goes with every test file its tested layer runs, so that a test file shared by
    several features runs in one shard. Groups are placed largest first on the least loaded
    shard (by ``seconds``, what each unit's results took last time, by ``f:<feature>`` and
    ``t:<suite file>``; a group with no known
    time counts as an average one), ties broken by a hash of the group's name: every shard
    computes the same split from the same store, and from none at all.
    """
    groups = _Groups()
    for feature in features:
        groups.add(f"f:{feature}")
        for test in tests_of.get(feature, []):
            groups.join(f"f:{feature}", f"t:{test}")
    for test in suite:
        groups.add(f"t:{test}")
    members = groups.members()
    known = {
        lead: sum(seconds[u] for u in units if u in seconds)
        for lead, units in members.items()
        if any(u in seconds for u in units)
    }
    usual = sum(known.values()) / len(known) if known else 1.0
    order = sorted(members, key=lambda lead: (-known.get(lead, usual), digest(lead.encode())))
    # More shards than groups leave the rest empty: a shard past the groups' count holds
    # nothing, so no heap of N entries (N is typed by hand and may be huge) is needed. Groups
    # go to the least loaded, lowest-numbered shard, so the first len(order) decide alike.
    loads = [(0.0, i) for i in range(min(shard.count, len(order)))]
    mine: set[str] = set()
    for lead in order:
        load, where = heapq.heappop(loads)
        heapq.heappush(loads, (load + known.get(lead, usual), where))
        if where == shard.index - 1:
            mine.update(members[lead])
    return {u[2:] for u in mine if u[0] == "f"}, {u[2:] for u in mine if u[0] == "t"}
