"""The score history as data: one compressed record per commit, compaction, and the trend.

A record is ``{"v": 1, "f": {feature id: [score, verdicts]}}``, zlib-compressed, where
``verdicts`` has one character per layer of :data:`ORDER`: ``1`` passed, ``0`` failed, ``-``
not judged. At 1,000 features a record is about 12 KB (``benchmarks/history_size.py``).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from lockgate.model import LAYERS, FeatureResult, LayerResult

ORDER = (*LAYERS, "optimized")
FORMAT = 1
KEEP_ALL_DAYS = 14  # every commit's record is kept this long …
KEEP_DAILY_DAYS = 90  # … then the newest of each day, this long …
KEEP_WEEKLY_DAYS = 730  # … then the newest of each week; older records go
_DAY = 86400.0


@dataclass(frozen=True)
class Point:
    """One commit's record: when it was made, and feature id → (score, verdicts)."""

    commit: str
    recorded: float
    scores: dict[str, tuple[int, str]]

    @property
    def mean(self) -> float | None:
        """The features' mean score; None without features."""
        values = [s for s, _ in self.scores.values()]
        return round(sum(values) / len(values), 1) if values else None


def verdicts(layers: Mapping[str, LayerResult]) -> str:
    """The layers' verdicts as one character each, in :data:`ORDER`."""
    return "".join(
        "-" if name not in layers else "1" if layers[name].passed else "0" for name in ORDER
    )


def encode(features: Iterable[FeatureResult]) -> bytes:
    """The record of a run's features."""
    table = {r.feature.id: [r.score, verdicts(r.layers)] for r in features}
    text = json.dumps({"v": FORMAT, "f": table}, separators=(",", ":"), sort_keys=True)
    return zlib.compress(text.encode(), 9)


def decode(commit: str, recorded: float, data: bytes) -> Point | None:
    """A stored record, or None when it is of another format or cannot be read."""
    try:
        raw = json.loads(zlib.decompress(data))
        if raw.get("v") != FORMAT:
            return None
        scores = {str(k): (int(v[0]), str(v[1])) for k, v in raw["f"].items()}
    except (zlib.error, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None
    return Point(commit, recorded, scores)


def to_drop(stamps: Sequence[tuple[str, float]], now: float) -> list[str]:
    """The commits whose records compaction drops: all are kept for :data:`KEEP_ALL_DAYS`,
    then the newest of each UTC day, then of each ISO week, then none."""
    kept: set[tuple[str, object]] = set()
    drop = []
    for commit, recorded in sorted(stamps, key=lambda s: -s[1]):  # newest first
        age = (now - recorded) / _DAY
        when = datetime.fromtimestamp(recorded, tz=UTC).date()
        if age <= KEEP_ALL_DAYS:
            continue
        if age > KEEP_WEEKLY_DAYS:
            drop.append(commit)
            continue
        bucket: tuple[str, object] = (
            ("day", when) if age <= KEEP_DAILY_DAYS else ("week", when.isocalendar()[:2])
        )
        if bucket in kept:
            drop.append(commit)
        else:
            kept.add(bucket)
    return drop


@dataclass(frozen=True)
class Change:
    """How one feature moved since the previous record: its scores, oldest first, and
    whether it is new or dropped."""

    scores: list[int]
    new: bool
    dropped: int  # points lost since the previous record (0: none)


def changes(points: Sequence[Point], current: Sequence[FeatureResult]) -> dict[str, Change]:
    """Feature id → its trend over ``points`` (oldest first, the current commit's excluded)
    up to the current run."""
    previous = points[-1] if points else None
    out = {}
    for r in current:
        past = [p.scores[r.feature.id][0] for p in points if r.feature.id in p.scores]
        before = previous.scores.get(r.feature.id) if previous is not None else None
        out[r.feature.id] = Change(
            scores=[*past, r.score],
            new=previous is not None and before is None,
            dropped=max(0, before[0] - r.score) if before is not None else 0,
        )
    return out
