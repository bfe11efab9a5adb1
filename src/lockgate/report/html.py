"""The HTML report: one self-contained page with inline CSS and SVG charts, written atomically.

Chart geometry is computed here; the templates only place it. Every string from the project
reaches the page through Jinja2's autoescaping, never as markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from lockgate import __version__
from lockgate.deploy.gates import GateResult
from lockgate.model import LAYERS, AlignResult, FeatureResult
from lockgate.project.names import shortest
from lockgate.report.files import write_report
from lockgate.report.json import align_json
from lockgate.report.trend import Trend

__all__ = ["Report", "render", "write"]

WIDTH = 480  # every chart's viewBox width; the SVG scales to its container
_PLOT = (50, 8, 14, 34)  # column charts: left, right, top, bottom margins
_PLOT_HEIGHT = 150


@dataclass(frozen=True)
class Report:
    """Everything the page shows; ``gates`` and ``stats`` are None when they were not read."""

    result: AlignResult
    gates: list[GateResult] | None
    gates_note: str  # what the gates judged, or why they were not evaluated
    stats: dict[str, Any] | None  # lockgate.store.stats.stats_data
    stats_note: str  # why the store was not read
    budget: str  # the performance budgets, for the performance section's caption
    commit: str | None = None  # the commit the gates judged
    trend: Trend | None = None  # the score history; None when the store was not read


@dataclass(frozen=True)
class Column:
    """One column of a column chart; ``missing`` draws a dash where there is no value."""

    x: float
    y: float
    width: float
    height: float
    tone: str
    title: str
    text: str
    missing: bool


@dataclass(frozen=True)
class Tick:
    """A label at a position along an axis (a grid line's height, a group's centre)."""

    at: float
    text: str


@dataclass(frozen=True)
class ColumnChart:
    """Grouped columns, one group per run, oldest on the left."""

    columns: list[Column]
    ticks: list[Tick]
    labels: list[Tick]  # the run numbers under the groups
    legend: list[tuple[str, str]]  # (tone, name)
    height: float
    baseline: float
    left: float
    right: float
    values: bool  # columns are wide enough to carry their value above them
    axis: str = "runs, oldest → newest"


@dataclass(frozen=True)
class Point:
    """One run's mean score on the history chart."""

    x: float
    y: float
    title: str


@dataclass(frozen=True)
class LineChart:
    """Mean score per run on a 0-100 scale, one point per recorded run, oldest on the left."""

    points: list[Point]
    path: str  # the polyline through the points that have a value
    ticks: list[Tick]
    labels: list[Tick]
    height: float
    baseline: float
    left: float
    right: float


@dataclass(frozen=True)
class Kind:
    """The per-kind summary row."""

    kind: str
    count: int
    mean: float
    healthy: int
    warning: int
    critical: int


@dataclass(frozen=True)
class Row:
    """One feature of the feature table, in server order (failures first, worst first)."""

    result: FeatureResult
    cells: list[tuple[str, Any, str]]  # (layer, LayerResult or None, title)
    reasons: list[tuple[str, str]]  # (layer, detail) of what failed
    rank: int  # the status order: critical 0, warning 1, healthy 2


def _nice_top(value: float) -> float:
    """The smallest of 1, 2 or 5 times a power of ten that is at least ``value`` (1 for 0)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(float(m * power) for m in (1, 2, 5, 10) if m * power >= value)


def _column_chart(
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    titles: Sequence[str],
    top: float | None = None,
    unit: str = "",
    percent: bool = False,
) -> ColumnChart:
    """Columns for ``(name, tone, values)`` series over the same runs, titled per run.

    The scale runs from 0 to ``top``, or to a round number above the largest value.
    """
    left, right, above, below = _PLOT
    runs = len(titles)
    scale = top or _nice_top(max((v for _, _, vs in series for v in vs if v), default=0))
    plot_w = WIDTH - left - right
    group = plot_w / max(runs, 1)
    width = min(group * 0.7 / max(len(series), 1), 40)
    pad = (group - width * len(series)) / 2  # columns sit in the middle of their group
    baseline = above + _PLOT_HEIGHT
    columns = []
    for k, (name, tone, values) in enumerate(series):
        for i, value in enumerate(values):
            x = left + i * group + pad + k * width
            height = _PLOT_HEIGHT * (value or 0) / scale
            shown = "none" if value is None else _number(value, unit, percent)
            title = f"{titles[i]}: {name} {shown}"
            columns.append(
                Column(x, baseline - height, width, height, tone, title, shown, value is None)
            )
    # Round steps: a top of 5·10ⁿ splits in fifths, 1·10ⁿ and 2·10ⁿ in quarters.
    parts = 5 if f"{scale:.0e}".startswith("5") else 4
    ticks = [
        Tick(baseline - _PLOT_HEIGHT * i / parts, _number(scale * i / parts, unit, percent))
        for i in range(parts + 1)
    ]
    every = math.ceil(runs / 12)  # keep the run numbers apart on a narrow chart
    labels = [
        Tick(left + (i + 0.5) * group, str(i + 1))
        for i in range(runs)
        if i % every == 0 or i == runs - 1
    ]
    legend = [(tone, name) for name, tone, _ in series]
    return ColumnChart(
        columns, ticks, labels, legend, baseline + below, baseline, left, WIDTH - right, width >= 28
    )


def _number(value: float, unit: str, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    text = f"{value:.3g}" if value < 100 else f"{value:.0f}"
    return f"{text}{unit}"


def _layer_title(layer: str, passed: bool, detail: str, cached: bool) -> str:
    verdict = "passed" if passed else "failed"
    source = "reused" if cached else "ran"
    return f"{layer} {verdict} ({source})" + (f": {detail}" if detail else "")


STATUS_RANK = {"critical": 0, "warning": 1, "healthy": 2}
BUCKETS = 10  # the score distribution's buckets: 0-9, 10-19, …, 90-100
SHOWN_FAILURES = 25  # the worst failures listed open; the rest folded below them


def _perf_title(r: FeatureResult) -> str:
    p = r.performance
    if p is None:
        return f"{r.feature.id}: not measured"
    parts = [
        f"import {_ms(p.import_ms)}",
        f"instantiate {_ms(p.instantiate_ms)}",
        f"peak {'-' if p.peak_mb is None else f'{p.peak_mb:.1f} MB'}",
    ]
    return f"{r.feature.id}: " + ", ".join(parts) + (f"; {p.detail}" if p.detail else "")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def _histogram(scores: Sequence[int], what: str, tones: bool) -> ColumnChart:
    """How many of ``scores`` fall in each 10-point bucket; 100 counts in the last one.

    ``tones`` colours a bucket by the status its scores have (healthy ≥ 90, warning ≥ 70).
    """
    counts = [0] * BUCKETS
    for score in scores:
        counts[min(max(score, 0) // 10, BUCKETS - 1)] += 1
    names = [f"{10 * i}-{10 * i + 9 if i < BUCKETS - 1 else 100}" for i in range(BUCKETS)]
    tone = [
        ("healthy" if i >= 9 else "warning" if i >= 7 else "critical") if tones else "rate"
        for i in range(BUCKETS)
    ]
    left, right, above, below = _PLOT
    baseline = above + _PLOT_HEIGHT
    scale = _nice_top(max(counts))
    group = (WIDTH - left - right) / BUCKETS
    width = group * 0.8
    columns = []
    for i, count in enumerate(counts):
        height = _PLOT_HEIGHT * count / scale
        plural = "feature" if count == 1 else "features"
        columns.append(
            Column(
                left + i * group + (group - width) / 2,
                baseline - height,
                width,
                height,
                tone[i],
                f"{what} {names[i]}: {count} {plural}",
                str(count),
                False,
            )
        )
    parts = 5 if f"{scale:.0e}".startswith("5") else 4
    ticks = [
        Tick(baseline - _PLOT_HEIGHT * i / parts, f"{scale * i / parts:g}")
        for i in range(parts + 1)
    ]
    labels = [Tick(left + i * group, str(10 * i)) for i in range(BUCKETS)]
    labels.append(Tick(WIDTH - right - 10, "100"))  # centred text: kept inside the view box
    return ColumnChart(
        columns, ticks, labels, [], baseline + below, baseline, left, WIDTH - right, True, what
    )


def _kinds(result: AlignResult) -> list[Kind]:
    by: dict[str, list[FeatureResult]] = {}
    for r in result.features:
        by.setdefault(r.feature.kind, []).append(r)
    return [
        Kind(
            kind,
            len(rs),
            round(sum(r.score for r in rs) / len(rs), 1),
            *(sum(1 for r in rs if r.status == s) for s in ("healthy", "warning", "critical")),
        )
        for kind, rs in sorted(by.items())
    ]


def _reasons(r: FeatureResult) -> list[tuple[str, str]]:
    out = [
        (layer, got.detail)
        for i, (layer, got) in enumerate(r.layers.items())
        # performance is listed once, below; a broken file once, for the reason it is broken
        if not got.passed and layer != "optimized" and not (r.feature.broken and i)
    ]
    if r.performance is not None and not r.performance.passed:
        out.append(("performance", r.performance.detail))
    return out


def _rows(result: AlignResult, layers: Sequence[str]) -> list[Row]:
    """Every feature, failures first: the worst status, then the lowest score, then by name."""
    rows = [
        Row(
            r,
            [
                (layer, got, _layer_title(layer, got.passed, got.detail, got.cached))
                if (got := r.layers.get(layer)) is not None
                else (layer, None, f"{layer}: not run")
                for layer in layers
            ],
            _reasons(r),
            STATUS_RANK.get(r.status, 0),
        )
        for r in result.features
    ]
    # A healthy feature may still have a failed layer (a failed optimized layer, say): it sorts
    # with the healthy ones by its status, which is what the deploy judges.
    rows.sort(key=lambda row: (row.rank, row.result.score, row.result.feature.id))
    return rows


def _line_chart(values: Sequence[float | None], titles: Sequence[str]) -> LineChart:
    """Points on a 0-100 scale, one per run; a run without a mean (none recorded) sits on 0
    as an open point, so the count of points is the count of runs."""
    left, right, above, below = _PLOT
    baseline = above + _PLOT_HEIGHT
    group = (WIDTH - left - right) / max(len(values), 1)
    points = []
    drawn = []
    for i, value in enumerate(values):
        x = left + (i + 0.5) * group
        y = baseline - _PLOT_HEIGHT * (value or 0) / 100
        shown = "not recorded" if value is None else f"{value:g}"
        points.append(Point(x, y, f"{titles[i]}: mean score {shown}"))
        if value is not None:
            drawn.append(f"{x:.1f},{y:.1f}")
    ticks = [Tick(baseline - _PLOT_HEIGHT * i / 4, f"{25 * i}") for i in range(5)]
    every = math.ceil(len(values) / 12)
    labels = [
        Tick(left + (i + 0.5) * group, str(i + 1))
        for i in range(len(values))
        if i % every == 0 or i == len(values) - 1
    ]
    return LineChart(
        points, " ".join(drawn), ticks, labels, baseline + below, baseline, left, WIDTH - right
    )


def _run_charts(
    stats: dict[str, Any],
) -> tuple[ColumnChart, ColumnChart, LineChart, ColumnChart | None] | None:
    runs = list(reversed(stats["runs"]))  # the store lists the newest first
    if not runs:
        return None
    titles = [f"run {i} ({r['command']}, {r['started']})" for i, r in enumerate(runs, 1)]
    rate = _column_chart(
        [("hit rate", "rate", [r["hit_rate"] for r in runs])], titles, top=1.0, percent=True
    )
    seconds = _column_chart(
        [
            ("saved", "saved", [r["saved"] for r in runs]),
            ("took", "took", [r["seconds"] for r in runs]),
        ],
        titles,
        unit=" s",
    )
    audited = None
    if stats["totals"].get("audited"):  # audit mode ran: served results run again, found wrong
        audited = _column_chart(
            [
                ("audited", "took", [r["audited"] for r in runs]),
                ("found wrong", "fail", [r["audit_mismatches"] for r in runs]),
            ],
            titles,
        )
    return rate, seconds, _line_chart([r.get("mean_score") for r in runs], titles), audited


def _trend_chart(found: Trend, commit: str | None) -> LineChart | None:
    """The mean score per recorded commit, this run's last; None before any other record."""
    if not found.points:
        return None
    values = [p.mean for p in found.points] + [found.mean]
    titles = [
        f"{p.commit[:12]} ({datetime.fromtimestamp(p.recorded, UTC):%Y-%m-%d})"
        for p in found.points
    ] + [f"{(commit or 'this run')[:12]} (this run)"]
    return _line_chart(values, titles)


def _size(count: int) -> str:
    if count < 1024:
        return f"{count:,} bytes"
    if count < 1024**2:
        return f"{count / 1024:,.1f} KB"
    return f"{count / 1024**2:,.1f} MB"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("lockgate.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["size"] = _size
    env.filters["num"] = lambda v: f"{v:g}"
    return env


def render(report: Report) -> str:
    """The whole page as one string."""
    result = report.result
    layers = [*LAYERS]
    if any("optimized" in r.layers for r in result.features):
        layers.append("optimized")  # weighted into the score: a column like the others
    rows = _rows(result, layers)
    summary = align_json(result)["summary"]
    template = _environment().get_template("report.html")
    return template.render(
        report=report,
        result=result,
        version=__version__,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        project=Path(result.root).name,
        names=shortest(r.feature.id for r in result.features),
        summary=summary,
        owners=summary.get("owners", {}),  # per CODEOWNERS owner; empty without CODEOWNERS
        remote_hits=summary.get("cache", {}).get("remote_hits"),
        scores=_histogram([r.score for r in result.features], "score", tones=True),
        perf=_histogram(
            [r.performance.score for r in result.features if r.performance is not None],
            "performance score",
            tones=False,
        ),
        measured=sum(1 for r in result.features if r.performance is not None),
        perf_rows=[(r, _perf_title(r)) for r in result.features],
        kinds=_kinds(result),
        layers=layers,
        rows=rows,
        failing=[row for row in rows if row.rank < STATUS_RANK["healthy"] or row.reasons],
        shown_failures=SHOWN_FAILURES,
        runs=_run_charts(report.stats) if report.stats is not None else None,
        history=_trend_chart(report.trend, report.commit) if report.trend is not None else None,
        width=WIDTH,
    )


def write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temporary file in the same folder, then a rename."""
    write_report(path, text.encode("utf-8"))
