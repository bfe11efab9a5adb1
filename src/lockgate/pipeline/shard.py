"""``--shard K/N``: a stable split of a run's work into N parts, one per CI matrix job; and the
same work as groups, longest first, for ``--shard auto`` (pipeline/claim.py)."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lockgate.errors import LockgateError
from lockgate.keys.hashing import digest


@dataclass(frozen=True)
class Shard:
    """Part ``index`` (from 1) of ``count``; ``Shard(0, 0)`` (AUTO) is ``--shard auto``: the
    jobs of one run claim groups from a queue in the remote instead."""

    index: int
    count: int

    @property
    def auto(self) -> bool:
        return self.count == 0


AUTO = Shard(0, 0)


def parse(text: str) -> Shard:
    """``"K/N"`` or ``"auto"`` as a shard; anything else is one line for the user."""
    if text == "auto":
        return AUTO
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


@dataclass(frozen=True)
class Group:
    """Work units that must run together (``f:<feature>``, ``t:<test file>``), led by the
    smallest name, and what they took last time (an average group's when unknown)."""

    lead: str
    units: list[str]
    seconds: float

    @property
    def features(self) -> set[str]:
        return {u[2:] for u in self.units if u[0] == "f"}

    @property
    def suite(self) -> set[str]:
        return {u[2:] for u in self.units if u[0] == "t"}


def groups(
    features: Iterable[str],
    suite: Iterable[str],
    tests_of: Mapping[str, list[str]],
    seconds: Mapping[str, float],
) -> list[Group]:
    """The run's work as groups, longest first.

    A feature goes with every test file its tested layer runs, so that a test file shared by
    several features runs in one group. A group's time is what its units' results took last
    time (``seconds``, by ``f:<feature>`` and ``t:<suite file>``); a group with no known time
    counts as an average one. Ties are broken by a hash of the group's name: every job
    computes the same order from the same store, and from none at all.
    """
    found = _Groups()
    for feature in features:
        found.add(f"f:{feature}")
        for test in tests_of.get(feature, []):
            found.join(f"f:{feature}", f"t:{test}")
    for test in suite:
        found.add(f"t:{test}")
    members = found.members()
    known = {
        lead: sum(seconds[u] for u in units if u in seconds)
        for lead, units in members.items()
        if any(u in seconds for u in units)
    }
    usual = sum(known.values()) / len(known) if known else 1.0
    out = [Group(lead, units, known.get(lead, usual)) for lead, units in members.items()]
    return sorted(out, key=lambda g: (-g.seconds, digest(g.lead.encode())))


def split(
    features: Iterable[str],
    suite: Iterable[str],
    tests_of: Mapping[str, list[str]],
    seconds: Mapping[str, float],
    shard: Shard,
) -> tuple[set[str], set[str]]:
    """The features and the suite test files shard ``shard`` validates: the :func:`groups`,
    largest first, each on the least loaded shard."""
    ordered = groups(features, suite, tests_of, seconds)
    mine: set[str] = set()
    for where, group in zip(place(ordered, shard.count), ordered, strict=True):
        if where == shard.index - 1:
            mine.update(group.units)
    return {u[2:] for u in mine if u[0] == "f"}, {u[2:] for u in mine if u[0] == "t"}


def place(ordered: list[Group], count: int) -> list[int]:
    """The shard (from 0) of each of ``ordered``: the least loaded, lowest-numbered one."""
    # More shards than groups leave the rest empty: a shard past the groups' count holds
    # nothing, so no heap of N entries (N is typed by hand and may be huge) is needed. Groups
    # go to the least loaded, lowest-numbered shard, so the first len(order) decide alike.
    loads = [(0.0, i) for i in range(min(count, len(ordered)))]
    out = []
    for group in ordered:
        load, where = heapq.heappop(loads)
        heapq.heappush(loads, (load + group.seconds, where))
        out.append(where)
    return out
