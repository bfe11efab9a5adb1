"""The Rich gate table printed by ``lockgate deploy`` after the feature table."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from lockgate.deploy.gates import GateResult

_SEVERITY = {"error": "red", "warning": "yellow", "off": "dim"}


def gate_table(gates: list[GateResult]) -> Table:
    """One row per gate: name, a mark, severity, and the detail (wrapped, never cut)."""
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("gate", no_wrap=True)
    table.add_column("", justify="center", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("detail", overflow="fold", ratio=1)
    for gate in gates:
        if gate.severity == "off":
            mark = Text("-", style="dim")
        elif gate.passed:
            mark = Text("✓", style="green")
        else:
            mark = Text("✗", style="bold red" if gate.severity == "error" else "yellow")
        table.add_row(
            gate.name, mark, Text(gate.severity, style=_SEVERITY[gate.severity]), gate.detail
        )
    return table


def print_gates(gates: list[GateResult], console: Console) -> None:
    """Print the gate table under a blank line."""
    console.print()
    console.print(gate_table(gates))
