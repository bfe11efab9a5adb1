"""``lockgate why FEATURE``."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from lockgate.options import path_argument


@click.command()
@click.argument("feature")  # a feature (id or name), or a test file that belongs to no feature
@path_argument()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def why(feature: str, path: Path, as_json: bool) -> None:
    """For each layer of FEATURE (or for a test file of no feature): reused or re-run, and
    which inputs changed."""
    from rich.console import Console
    from rich.text import Text

    from lockgate.explain import explain
    from lockgate.options import Options
    from lockgate.report.json import dumps

    found, answers = explain(path, feature, Options(quiet=True))
    if as_json:
        click.echo(
            dumps(
                {
                    "feature": found,
                    "layers": {
                        a.layer: {k: v for k, v in asdict(a).items() if k != "layer"}
                        for a in answers
                    },
                }
            )
        )
        return
    console = Console()
    console.print(Text(found, style="bold"))
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
