"""The answers of ``lockgate why``: per layer, reused or re-run and what changed, as text or
JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.text import Text

from lockgate.report.json import iso
from lockgate.why.explain import LastWhy, LayerWhy

__all__ = ["last_json", "layers_json", "print_last", "print_layers"]


def layers_json(answers: list[LayerWhy]) -> dict[str, Any]:
    """Each layer's answer by layer name."""
    return {
        a.layer: {k: v for k, v in asdict(a).items() if k != "layer" and v is not None}
        for a in answers
    }


def last_json(found: LastWhy, one: bool) -> dict[str, Any]:
    """The last run and the layers it re-ran: of the one feature asked for, or of every one."""
    run = found.run
    head = {
        "command": run.command,
        "started": iso(run.started),
        "hits": run.hits,
        "misses": run.misses,
        "seconds": round(run.seconds, 3),
    }
    if one:
        owner, answers = found.owners[0]
        return {"run": head, "feature": owner, "layers": layers_json(answers)}
    return {
        "run": head,
        "features": [{"feature": o, "layers": layers_json(a)} for o, a in found.owners],
    }


def print_last(found: LastWhy, console: Console, one: bool) -> None:
    """One line about the last run, then each re-run feature's layers."""
    run = found.run
    console.print(
        Text(
            f"last run: {run.command} at {iso(run.started)} · reused {run.hits}, "
            f"ran {run.misses} · {run.seconds:.2f}s"
        )
    )
    if not found.owners and not one:
        console.print(Text("nothing re-ran: every result was reused"))
    for owner, answers in found.owners:
        print_layers(console, owner, answers)


def print_layers(console: Console, owner: str, answers: list[LayerWhy]) -> None:
    """The feature (or test file), then a line per layer and one per changed input."""
    console.print(Text(owner, style="bold"))
    for answer in answers:
        line = Text(f"  {answer.layer:<13}")
        line.append(
            "reused" if answer.reused else "re-run", style="green" if answer.reused else "yellow"
        )
        line.append(f"  {answer.reason}")
        console.print(line)
        for change in answer.changes:
            extra = f": {change.detail}" if change.detail else ""
            console.print(Text(f"      {change.kind} {change.item}{extra}"))
        if answer.tests is not None:
            if not answer.tests:
                console.print(Text("      judged on no test file"))
            for test in answer.tests:
                console.print(Text(f"      judged on {test['file']} ({test['found']})"))
