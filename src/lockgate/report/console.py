"""The Rich feature table, the reasons for every failed layer, and a summary."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from lockgate.model import LAYERS, AlignResult

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


def feature_table(result: AlignResult) -> Table:
    """One row per feature: name, kind, score, a mark per layer, status (and performance)."""
    shown = [*LAYERS]
    if any("optimized" in r.layers for r in result.features):
        shown.append("optimized")  # weighted into the score: a layer like the others
    perf = any(r.performance is not None for r in result.features)
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("feature", no_wrap=True, overflow="ellipsis")
    table.add_column("kind", overflow="ellipsis", max_width=12)
    table.add_column("score", justify="right")
    for layer in shown:
        table.add_column(_SHORT[layer], justify="center")
    table.add_column("status", no_wrap=True)
    if perf:
        table.add_column("perf", justify="right")
    for r in result.features:
        marks = []
        for layer in shown:
            got = r.layers.get(layer)
            if got is None:
                marks.append(Text("?", style="dim"))
            else:
                mark, style = ("✓", "green") if got.passed else ("✗", "bold red")
                marks.append(Text(mark, style=style))
        name = r.feature.name + (" *" if r.feature.internal else "")
        row: list[Text | str] = [Text(name), Text(r.feature.kind), str(r.score), *marks]
        row.append(Text(r.status, style=_STYLE[r.status]))
        if perf:
            p = r.performance
            row.append(
                Text("-" if p is None else str(p.score), style="" if p and p.passed else "red")
            )
        table.add_row(*row)
    return table


def print_align(result: AlignResult, console: Console) -> None:
    """Print the table, why each failed layer failed, and a one-line summary."""
    for warning in result.warnings:
        console.print(Text("warning: ", style="yellow") + Text(warning))
    console.print(feature_table(result))
    if any(r.feature.internal for r in result.features):
        console.print("[dim]* internal: scored, not gated[/]")
    reasons = Table.grid(padding=(0, 1))
    reasons.add_column(style="bold", no_wrap=True)
    reasons.add_column(style="red", no_wrap=True)
    reasons.add_column(ratio=1, overflow="fold")
    for r in result.features:
        # a flaky pass is shown too: it passed, but only on a retry
        failed = [
            (layer, got.detail, "" if not got.passed else "yellow")
            for layer, got in r.layers.items()
            if (not got.passed or got.flaky) and layer != "optimized"
        ]
        if r.feature.broken:  # one reason: the other layers were not judged because of it
            failed = [(layer, got.detail, "") for layer, got in r.layers.items()][:1]
        if r.performance is not None and not r.performance.passed:
            failed.append(("performance", r.performance.detail, ""))
        for i, (layer, detail, style) in enumerate(failed):
            label = Text(layer + (" (flaky)" if style else ""), style=style)
            reasons.add_row(r.feature.name if i == 0 else "", label, Text(detail, style=style))
    if reasons.row_count:
        console.print()
        console.print(reasons)
    _print_suite(result, console)
    if result.orphans:
        orphans = Text(", ".join(result.orphans))
        console.print(Text("\norphaned wiring entries: ", style="yellow") + orphans)
    n = len(result.features)
    mean = sum(r.score for r in result.features) / n if n else 0.0
    counts = {s: sum(1 for r in result.features if r.status == s) for s in _STYLE}
    console.print(
        f"\n{n} features, mean score {mean:.1f}: "
        f"[green]{counts['healthy']} healthy[/], [yellow]{counts['warning']} warning[/], "
        f"[red]{counts['critical']} critical[/] · reused {result.hits}, ran {result.misses} "
        f"· {result.seconds:.2f}s"
    )


def _print_suite(result: AlignResult, console: Console) -> None:
    """Test files of no feature: one summary line, then each failing file with its detail."""
    if not result.suite:
        return
    failing = [s for s in result.suite if not s.passed]
    n = len(result.suite)
    console.print(
        f"\n{n} other test files: [green]{n - len(failing)} pass[/], [red]{len(failing)} fail[/]"
        if failing
        else f"\n{n} other test files: [green]all pass[/]"
    )
    rows = Table.grid(padding=(0, 1))
    rows.add_column(style="bold", no_wrap=True)
    rows.add_column(ratio=1, overflow="fold", style="red")
    for s in failing:
        rows.add_row(s.path, Text(s.detail))
    for s in result.suite:
        if s.passed and s.flaky:
            rows.add_row(s.path, Text(f"flaky: {s.detail}", style="yellow"))
    if rows.row_count:
        console.print(rows)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def print_performance(result: AlignResult, console: Console, top: int) -> None:
    """The slowest features first: import and construction time, memory, score."""
    measured = [r for r in result.features if r.performance is not None]
    measured.sort(
        key=lambda r: (
            -((r.performance.import_ms or 0) + (r.performance.instantiate_ms or 0))
            if r.performance
            else 0
        )
    )
    table = Table(box=None, pad_edge=False, header_style="bold")
    for name, justify in [
        ("feature", "left"),
        ("import ms", "right"),
        ("init ms", "right"),
        ("peak MB", "right"),
        ("score", "right"),
        ("", "left"),
    ]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in measured[:top]:
        p = r.performance
        assert p is not None
        table.add_row(
            Text(r.feature.name),
            _ms(p.import_ms),
            _ms(p.instantiate_ms),
            _ms(p.peak_mb),
            str(p.score),
            Text("ok" if p.passed else p.detail, style="green" if p.passed else "red"),
        )
    console.print(table)
    passed = sum(1 for r in measured if r.performance and r.performance.passed)
    console.print(
        f"\n{len(measured)} features measured, {passed} within budget · "
        f"reused {result.hits}, measured {result.misses} · {result.seconds:.2f}s"
    )
