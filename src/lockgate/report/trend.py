"""The score history as the report shows it: the overall mean per recorded commit, each
feature's scores, and which features are new or dropped since the previous record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lockgate.model import AlignResult
from lockgate.policy.history import Change, Point, changes
from lockgate.report.json import iso

SHOWN = 30  # recorded commits the report shows


@dataclass(frozen=True)
class Trend:
    """The recorded commits before this run's (oldest first) and every feature's change."""

    points: list[Point]
    changes: dict[str, Change]
    mean: float | None  # this run's

    @property
    def new(self) -> list[str]:
        """Feature ids absent from the previous record."""
        return [k for k, c in self.changes.items() if c.new]

    @property
    def dropped(self) -> list[tuple[str, int]]:
        """(feature id, points lost) of the features that scored lower than in the previous
        record, the largest drop first."""
        found = [(k, c.dropped) for k, c in self.changes.items() if c.dropped]
        return sorted(found, key=lambda item: (-item[1], item[0]))


def trend(points: Sequence[Point], result: AlignResult, commit: str | None) -> Trend:
    """The trend up to ``result`` (HEAD's run, ``commit``), from the last :data:`SHOWN` other
    records."""
    past = [p for p in points if p.commit != commit][-SHOWN:]
    return Trend(past, changes(past, result.features), result.mean_score)


def trend_json(found: Trend) -> dict[str, Any]:
    """The ``history`` object of ``report --json``."""
    return {
        "commits": [
            {"commit": p.commit, "recorded": iso(p.recorded), "mean_score": p.mean}
            for p in found.points
        ],
        "mean_score": found.mean,
        "new": found.new,
        "dropped": [{"feature": k, "points": n} for k, n in found.dropped],
        "features": {
            k: {"scores": c.scores, "new": c.new, "dropped": c.dropped}
            for k, c in found.changes.items()
        },
    }


def trend_line(found: Trend) -> str | None:
    """One line for the console: new features and drops since the previous record."""
    if not found.points:
        return None
    since = found.points[-1].commit[:12]
    drops = ", ".join(f"{k} -{n}" for k, n in found.dropped[:10])
    parts = [
        f"{len(found.new)} new",
        f"{len(found.dropped)} dropped" + (f" ({drops})" if drops else ""),
    ]
    before = found.points[-1].mean
    mean = (
        f"; mean score {before:g} → {found.mean:g}"
        if before is not None and found.mean is not None
        else ""
    )
    return f"since {since}: {', '.join(parts)}{mean}"
