"""Rich views of the store: stats and health."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from lockgate.store.health import Health
from lockgate.words import counted

_LEVEL = {"critical": "bold red", "warning": "yellow", "info": "dim", "healthy": "green"}


def _bytes(n: int) -> str:
    return f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def print_stats(data: dict[str, Any], console: Console) -> None:
    """Entries per layer, recent runs, totals and entry ages."""
    layers = Table(title="entries per layer", box=None, header_style="bold", title_justify="left")
    layers.add_column("layer")
    layers.add_column("entries", justify="right")
    layers.add_column("size", justify="right")
    for row in data["layers"]:
        layers.add_row(row["layer"], str(row["entries"]), _bytes(row["bytes"]))
    console.print(layers)
    runs = Table(title="\nrecent runs", box=None, header_style="bold", title_justify="left")
    names = (
        "started",
        "command",
        "hits",
        "remote",
        "misses",
        "hit rate",
        "seconds",
        "saved s",
        "audited",
        "mismatches",
    )
    for name in names:
        runs.add_column(name, justify="left" if name in ("started", "command") else "right")
    for r in data["runs"]:
        rate = "-" if r["hit_rate"] is None else f"{100 * r['hit_rate']:.0f}%"
        runs.add_row(
            r["started"],
            r["command"],
            str(r["hits"]),
            str(r["remote_hits"]),
            str(r["misses"]),
            rate,
            f"{r['seconds']:.2f}",
            f"{r['saved']:.2f}",
            str(r["audited"]),
            str(r["audit_mismatches"]),
        )
    console.print(runs)
    t = data["totals"]
    rate = "-" if t["hit_rate"] is None else f"{100 * t['hit_rate']:.0f}%"
    ages = ", ".join(f"{label}: {n}" for label, n in data["ages"].items())
    console.print(
        f"\n{counted(t['runs'], 'run')}: {t['hits'] - t['remote_hits']} reused locally, "
        f"{t['remote_hits']} from the remote, {t['misses']} run, hit rate {rate}, "
        f"{t['saved']:.1f}s saved · store {_bytes(data['bytes'])} · ages {ages}"
    )
    if t["audited"]:
        console.print(
            f"audit: {counted(t['audited'], 'stored result')} audited, "
            f"{t['audit_mismatches']} found wrong (mismatch rate {100 * t['mismatch_rate']:.1f}%)"
        )


def print_health(health: Health, console: Console) -> None:
    """The verdict, then every finding and every repair."""
    console.print(Text(health.status, style=_LEVEL[health.status]) + Text(f"  {health.path}"))
    for item in health.repaired:
        console.print(Text("  repaired: ", style="green") + Text(item))
    for finding in health.findings:
        console.print(
            Text(f"  {finding.level}: ", style=_LEVEL[finding.level]) + Text(finding.message)
        )
