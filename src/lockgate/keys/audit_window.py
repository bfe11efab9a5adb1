"""When audit mode audits, and which part of the served results (see "Audit mode" in
docs/design.md): the arithmetic of the window, apart from the planned results, so that the
no-change path can tell a run that audits nothing without importing the full path.

At ``fraction`` f, a *window* is ``ceil(1/f)`` consecutive runs (numbered by the store) and
the served results are cut into ``parts`` by a hash of each one's key, feature and layer.
Run ``seed`` audits part ``i`` when ``seed mod window == floor(i · window / parts)`` and
nothing otherwise, so any ``window`` consecutive runs audit every part once: every served
result is audited within ``window`` runs, whatever else changes (its part is a function of
its own key). A run that re-runs anything pays a fixed cost (the plan, a sandbox, the import
worker, a pytest process) whatever it re-runs; paying it ``parts`` times per window on top of
a whole cold run's work costs, on average per run, ``f · (cold + (parts - 1) · fixed)``. With
``parts = 1 + floor(0.05 / f)`` that is at most ``f · cold + 5 % · fixed``, within the issue's
"FRACTION of a cold run, plus 5 %" for any project (``fixed`` ≤ ``cold``), while each run that
audits re-runs as small a share as that allows (1/parts).
"""

from __future__ import annotations

import math

from lockgate.keys.hashing import digest
from lockgate.model import Audit

SLACK = 0.05  # the "plus 5 %" of a cold run, spent on paying the fixed cost again
_EPSILON = 1e-9  # 1/0.05 is 20, not 20.000000000000004


def window(fraction: float) -> int:
    """How many consecutive runs audit every served result once."""
    return max(1, math.ceil(1 / fraction - _EPSILON))


def parts(fraction: float) -> int:
    """Into how many parts the served results are cut: the runs of a window that audit."""
    return min(window(fraction), 1 + math.floor(SLACK / fraction + _EPSILON))


def part_due(fraction: float, seed: int) -> int | None:
    """The part run ``seed`` audits, or None when it audits nothing."""
    size, count = window(fraction), parts(fraction)
    offset = seed % size
    first = -(-offset * count // size)  # the least part i with i · size / count >= offset
    return first if first < count and first * size // count == offset else None


def next_due(fraction: float, seed: int) -> int:
    """The number of the first run after ``seed`` that audits."""
    following = seed + 1
    while part_due(fraction, following) is None:
        following += 1
    return following


def part_of(key: str, owner: str, layer: str, fraction: float) -> int:
    """The part a served result belongs to: a hash of its own identity, unrelated to what it
    is about and to every other result."""
    position = int(digest(f"{key}\0{owner}\0{layer}".encode()), 16) / 16**32
    return min(math.floor(position * parts(fraction)), parts(fraction) - 1)


def plan(fraction: float, seed: int) -> Audit:
    """Run ``seed``'s audit at ``fraction`` before anything is sampled: its window, and the
    part it audits if it is due."""
    return Audit(
        fraction,
        seed,
        window(fraction),
        parts(fraction),
        part_due(fraction, seed),
        next_due(fraction, seed),
    )
