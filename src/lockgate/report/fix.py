"""The steps of ``lockgate fix``, as text or JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from lockgate import __version__
from lockgate.model import AlignResult
from lockgate.why.fix import CREATE, Step

__all__ = ["fix_json", "print_steps"]


def fix_json(result: AlignResult, steps: list[Step], written: bool) -> dict[str, Any]:
    """Every step without its scaffold's text."""
    rows = [{k: v for k, v in asdict(s).items() if k != "content"} for s in steps]
    payload = {"lockgate": __version__, "project": result.root, "written": written}
    return {**payload, "features": rows}


def print_steps(steps: list[Step], written: bool) -> None:
    """Each step with its scaffold, then one line that counts them."""
    for step in steps:
        click.echo(f"{step.name} · {step.layer}: {step.detail}")
        click.echo(f"  → {step.step}")
        if step.line is not None:
            click.echo(f"    add: {step.line}")
        if step.action == CREATE:
            state = "created" if written else "scaffold to create (lockgate fix --write)"
            click.echo(f"    {step.file}: {state}")
        elif step.action == "exists":
            click.echo(f"    {step.file}: exists, left alone")
    scaffolds = sum(1 for s in steps if s.action == CREATE)
    owners = len({s.id for s in steps})
    if not steps:
        click.echo("nothing to fix: every layer of the selected features passes")
        return
    summary = (
        f"{len(steps)} {_plural(len(steps), 'step')} for {owners} {_plural(owners, 'feature')}"
    )
    if scaffolds:
        files = f"{scaffolds} {_plural(scaffolds, 'scaffold')}"
        summary += f"; wrote {files}" if written else f"; {files} to write with --write"
    click.echo(summary)


def _plural(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"
