"""``lockgate fix``: the next step for each failed layer, and (``--write``) scaffolds."""

from __future__ import annotations

from pathlib import Path

import click

from lockgate.report.fix import fix_json, print_steps
from lockgate.report.json import dumps
from lockgate.why.fix import fix as run_fix


@click.command()
@click.argument("features", nargs=-1)
@click.option("--write", is_flag=True, help="Write the scaffolds (never over an existing file).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def fix(features: tuple[str, ...], write: bool, as_json: bool) -> None:
    """The next step for each failed layer, and (--write) scaffolds that start it.

    FEATURES narrows it (default: every feature with a failed layer). A scaffold (a guide,
    test module, factory stub or map file) never replaces a file that exists."""
    result, steps = run_fix(Path(".").resolve(), list(features), write, as_json)
    if as_json:
        for warning in result.warnings:
            click.echo(f"lockgate: warning: {warning}", err=True)
        click.echo(dumps(fix_json(result, steps, write)))
        return
    print_steps(steps, write)
