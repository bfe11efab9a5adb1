"""The console view of a run: the features that need attention, why, and one summary line.

Three views (``-v`` / default / ``-q``): every row; the rows that are not healthy, worst
score first, with the healthy ones folded into the summary; the summary line alone.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Literal

from lockgate.commands.options import Options
from lockgate.model import LAYERS, AlignResult, FeatureResult, LayerResult
from lockgate.policy.codeowners import UNOWNED, groups
from lockgate.project.names import shortest
from lockgate.report.screen import Cell, Column, Screen, columns
from lockgate.words import counted, plural

View = Literal["verbose", "default", "quiet"]

_SHORT = {
    "discovered": "dis",
    "imported": "imp",
    "instantiated": "ins",
    "documented": "doc",
    "tested": "tst",
    "wired": "wir",
    "optimized": "opt",
}
_STYLE = {"healthy": "green", "warning": "yellow", "critical": "red"}


def view_of(options: Options) -> View:
    """Which view the flags ask for."""
    return "verbose" if options.verbose else "quiet" if options.quiet else "default"


def _failures(r: FeatureResult) -> list[tuple[str, str]]:
    """(layer, detail) of every failed layer of ``r``, performance included, and of every
    flaky pass (it passed, but only on a retry)."""
    if r.feature.broken:  # one reason: the other layers were not judged because of it
        return [(layer, got.detail) for layer, got in r.layers.items()][:1]
    failed = [
        (_label(layer, got), _why(got))
        for layer, got in r.layers.items()
        if (not got.passed or got.flaky) and layer != "optimized"
    ]
    if r.performance is not None and not r.performance.passed:
        failed.append(("performance", r.performance.detail))
    return failed


def _label(layer: str, got: LayerResult) -> str:
    if got.passed:
        return f"{layer} (flaky)"
    if got.exemption is not None:
        return f"{layer} ({got.exemption.describe()})"
    return layer


def _why(got: LayerResult) -> str:
    if got.exemption is None:
        return got.detail
    return f"{got.detail} — {got.exemption.reason}"


def needs_attention(r: FeatureResult) -> bool:
    """Not healthy, or healthy with a failed layer (a failed performance budget, say)."""
    if r.status != "healthy" or (r.performance is not None and not r.performance.passed):
        return True
    return not all(got.passed for got in r.layers.values())


def shown_rows(result: AlignResult, view: View) -> list[FeatureResult]:
    """The rows a view lists: all (in discovery order), those needing attention (worst
    score first), or none."""
    if view == "verbose":
        rows = list(result.features)
    elif view == "quiet":
        return []
    else:
        rows = sorted((r for r in result.features if needs_attention(r)), key=lambda r: r.score)
    if any(r.owners for r in result.features):  # grouped by owner, in each group as before
        rows.sort(key=lambda r: (not r.owners, r.owners[:1] and r.owners[0].casefold()))
    return rows


def feature_table(result: AlignResult, rows: list[FeatureResult], screen: Screen) -> list[str]:
    """One line per feature: name, kind, score, a mark per layer, status (and performance)."""
    shown = [*LAYERS]
    if any("optimized" in r.layers for r in result.features):
        shown.append("optimized")  # weighted into the score: a layer like the others
    perf = any(r.performance is not None for r in result.features)
    owned = any(r.owners for r in result.features)
    spec = [Column("feature"), Column("kind"), Column("score", "right")]
    spec += [
        Column(_SHORT[layer], "center", gap=2 if i == 0 else 1) for i, layer in enumerate(shown)
    ]
    spec.append(Column("status"))
    if perf:
        spec.append(Column("perf", "right"))
    if owned:
        spec.append(Column("owner"))
    lines: list[list[Cell]] = []
    names = labels(result)
    for r in rows:
        cells: list[Cell] = [
            (names[r.feature.id] + (" *" if r.feature.internal else ""), ""),
            (r.feature.kind, ""),
            (str(r.score), ""),
        ]
        for layer in shown:
            got = r.layers.get(layer)
            if got is None:
                cells.append(("?", "dim"))
            else:
                cells.append(_mark(got))
        cells.append((r.status, _STYLE[r.status]))
        if perf:
            p = r.performance
            cells.append(("-" if p is None else str(p.score), "" if p and p.passed else "red"))
        if owned:  # last: rows are grouped by it, and a long owner pushes no column away
            cells.append((_owner(r), "dim"))
        lines.append(cells)
    return columns(screen, spec, lines)


def _mark(got: LayerResult) -> Cell:
    if got.passed:
        return ("✓", "green")
    if got.exemption is not None and got.exemption.active:
        return ("E", "yellow")  # failed, exempt until its date
    return ("✗", "bold red")


def labels(result: AlignResult) -> dict[str, str]:
    """Each feature's shortest name that no other feature of the run answers to."""
    return shortest(r.feature.id for r in result.features)


def reason_lines(
    rows: list[FeatureResult], screen: Screen, names: dict[str, str] | None = None
) -> list[str]:
    """Why each failed layer of ``rows`` failed, wrapped under its feature (named as in
    ``names``, by id, else by its class name)."""
    cells: list[list[Cell]] = []
    for r in rows:
        name = (names or {}).get(r.feature.id, r.feature.name)
        for i, (layer, detail) in enumerate(_failures(r)):
            cells.append([(name if i == 0 else "", "bold"), (layer, "red"), (detail, "")])
    if not cells:
        return []
    # a reason keeps 40 columns: a long name goes on a line of its own rather than squeeze it
    spec = [Column(gap=0), Column(gap=1), Column(gap=1, wrap=True, keep=40)]
    return columns(screen, spec, cells, header=False)


def print_details(
    result: AlignResult, screen: Screen, view: View, rows: list[FeatureResult] | None = None
) -> None:
    """Everything above the summary line: warnings, the table, the reasons, the test files
    of no feature, orphaned wiring entries. ``rows``: :func:`shown_rows`, if known."""
    # on stderr, one line each: a remote that is down must not garble the table a CI log
    # shows, and with -q stdout holds the summary line only
    for warning in result.warnings:
        print(f"lockgate: warning: {warning}", file=sys.stderr)
    if view == "quiet":
        return
    out: list[str] = []
    rows = shown_rows(result, view) if rows is None else rows
    if rows:
        out += feature_table(result, rows, screen)
        if any(r.feature.internal for r in rows):
            out.append(screen.paint("* internal: scored, not gated", "dim"))
    reasons = reason_lines(rows, screen, labels(result))
    if reasons:
        out += ["", *reasons]
    out += _owner_lines(result, screen)
    out += _suite_lines(result, screen, view)
    if result.orphans:
        entries = plural(len(result.orphans), "entry")
        label = f"orphaned wiring {entries}: "
        out += ["", *screen.wrap(", ".join(result.orphans), label, "yellow")]
    if out:
        out.append("")
    screen.write(out)


def _owner(r: FeatureResult) -> str:
    """The first owner, and how many more there are (the summary lists each)."""
    if not r.owners:
        return UNOWNED
    more = len(r.owners) - 1
    return r.owners[0] + (f" +{more}" if more else "")


def _owner_lines(result: AlignResult, screen: Screen) -> list[str]:
    """One line per CODEOWNERS owner: their features, mean score and statuses."""
    cells: list[list[Cell]] = []
    for owner, rows in groups(result).items():
        mean = sum(r.score for r in rows) / len(rows)
        counts = Counter(r.status for r in rows)
        cells.append(
            [
                (owner, "bold"),
                (f"{counted(len(rows), 'feature')}, mean score {mean:.1f}", ""),
                (
                    f"{counts['healthy']} healthy, {counts['warning']} warning, "
                    f"{counts['critical']} critical",
                    "",
                ),
            ]
        )
    if not cells:
        return []
    spec = [Column(gap=0), Column(gap=2), Column(gap=1, wrap=True)]
    return ["", "by owner:", *columns(screen, spec, cells, header=False)]


def summary(result: AlignResult, view: View, shown: int | None = None) -> str:
    """The one summary line; in the default view it says how many healthy rows it folded
    (``shown``: how many rows the view listed, if known)."""
    n = len(result.features)
    mean = sum(r.score for r in result.features) / n if n else 0.0
    counts = Counter(r.status for r in result.features)
    healthy = f"{counts['healthy']} healthy"
    if view == "default":
        folded = n - (len(shown_rows(result, view)) if shown is None else shown)
        if folded:
            hidden = "not shown" if folded == counts["healthy"] else f"{folded} not shown"
            healthy += f" ({hidden}; -v shows all)"
    part = f"shard {result.shard[0]}/{result.shard[1]}: " if result.shard else ""
    return (
        f"{part}{counted(n, 'feature')}, mean score {mean:.1f}: {healthy}, "
        f"{counts['warning']} warning, {counts['critical']} critical "
        f"· {_reused(result)}, ran {result.misses} · {result.seconds:.2f}s"
    )


def _reused(result: AlignResult) -> str:
    """Hits, with the remote's share apart when it served any."""
    if not (result.remote_hits or result.remote_errors):
        return f"reused {result.hits}"
    local = result.hits - result.remote_hits
    return f"reused {local} local + {result.remote_hits} remote"


def print_align(result: AlignResult, screen: Screen, view: View = "default") -> None:
    """The details the view asks for, then the one-line summary."""
    rows = shown_rows(result, view)
    print_details(result, screen, view, rows)
    screen.write(screen.wrap(summary(result, view, len(rows))))


def _suite_lines(result: AlignResult, screen: Screen, view: View) -> list[str]:
    """Test files of no feature: each failing one with its detail; the verbose view also
    says when they all pass."""
    failing = [s for s in result.suite if not s.passed]
    n = len(result.suite)
    flaky = [s for s in result.suite if s.passed and s.flaky]
    if not failing:
        if flaky:
            rows0: list[list[Cell]] = [
                [(s.path, "bold"), (f"flaky: {s.detail}", "yellow")] for s in flaky
            ]
            spec0 = [Column(gap=0), Column(gap=1, wrap=True, keep=40)]
            note = f"{counted(n, 'other test file')}: {screen.paint('all pass', 'green')}"
            return ["", note, *columns(screen, spec0, rows0, header=False)]
        if view != "verbose" or not n:
            return []
        return ["", f"{counted(n, 'other test file')}: {screen.paint('all pass', 'green')}"]
    passing = screen.paint(f"{n - len(failing)} {plural(n - len(failing), 'passes')}", "green")
    failed = screen.paint(f"{len(failing)} {plural(len(failing), 'fails', 'fail')}", "red")
    rows: list[list[Cell]] = [[(s.path, "bold"), (s.detail, "red")] for s in failing]
    rows += [[(s.path, "bold"), (f"flaky: {s.detail}", "yellow")] for s in flaky]
    spec = [Column(gap=0), Column(gap=1, wrap=True, keep=40)]
    table = columns(screen, spec, rows, header=False)
    return ["", f"{counted(n, 'other test file')}: {passing}, {failed}", *table]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def print_performance(result: AlignResult, screen: Screen, top: int, view: View) -> None:
    """The slowest features first: import and construction time, memory, score.

    The default view lists the ``top`` slowest and every feature over budget; ``-v`` every
    measured feature; ``-q`` the summary line only.
    """
    measured = [r for r in result.features if r.performance is not None]

    def spent(r: FeatureResult) -> float:
        p = r.performance
        return -((p.import_ms or 0) + (p.instantiate_ms or 0)) if p else 0.0

    measured.sort(key=spent)
    if view == "verbose":
        rows = measured
    elif view == "quiet":
        rows = []
    else:
        rows = [
            r
            for i, r in enumerate(measured)
            if i < top or (r.performance is not None and not r.performance.passed)
        ]
    spec = [
        Column("feature"),
        Column("import ms", "right"),
        Column("init ms", "right"),
        Column("peak MB", "right"),
        Column("score", "right"),
        Column("", wrap=True),
    ]
    cells: list[list[Cell]] = []
    names = labels(result)
    for r in rows:
        p = r.performance
        assert p is not None
        verdict = ("ok", "green") if p.passed else (p.detail, "red")
        cells.append(
            [
                (names[r.feature.id], ""),
                (_ms(p.import_ms), ""),
                (_ms(p.instantiate_ms), ""),
                (_ms(p.peak_mb), ""),
                (str(p.score), ""),
                verdict,
            ]
        )
    out = [*columns(screen, spec, cells), ""] if cells else []
    passed = sum(1 for r in measured if r.performance and r.performance.passed)
    line = (
        f"{counted(len(measured), 'feature')} measured, {passed} within budget · "
        f"{_reused(result)}, measured {result.misses} · {result.seconds:.2f}s"
    )
    if view == "default" and len(rows) < len(measured):
        line += f" · {len(measured) - len(rows)} not shown (-v shows all)"
    screen.write(out + screen.wrap(line))
