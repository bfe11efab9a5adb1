"""The Rich feature table, the reasons for every failed layer, and a summary."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from lockgate.model import LAYERS, AlignResult

_SHORT = {"discovered": "dis", "imported": "imp", "instantiated": "ins",
          "documented": "doc", "tested": "tst", "wired": "wir"}
_STYLE = {"healthy": "green", "warning": "yellow", "critical": "red"}


def feature_table(result: AlignResult) -> Table:
    """One row per feature: name, kind, score, a mark per layer, status."""
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("feature", no_wrap=True, overflow="ellipsis")
    table.add_column("kind", overflow="ellipsis", max_width=12)
    table.add_column("score", justify="right")
    for layer in LAYERS:
        table.add_column(_SHORT[layer], justify="center")
    table.add_column("status", no_wrap=True)
    for r in result.features:
        marks = []
        for layer in LAYERS:
            got = r.layers.get(layer)
            if got is None:
                marks.append(Text("?", style="dim"))
            else:
                marks.append(Text("✓" if got.passed else "✗",
                                  style="green" if got.passed else "bold red"))
        name = r.feature.name + (" *" if r.feature.internal else "")
        table.add_row(Text(name), Text(r.feature.kind), str(r.score), *marks,
                      Text(r.status, style=_STYLE[r.status]))
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
        failed = [(layer, got.detail) for layer, got in r.layers.items() if not got.passed]
        for i, (layer, detail) in enumerate(failed):
            reasons.add_row(r.feature.name if i == 0 else "", layer, Text(detail))
    if reasons.row_count:
        console.print()
        console.print(reasons)
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
