"""``lockgate fix``: the next step for each failed layer, and (``--write``) scaffolds."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click


@click.command()
@click.argument("features", nargs=-1)
@click.option("--write", is_flag=True, help="Write the scaffolds (never over an existing file).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def fix(features: tuple[str, ...], write: bool, as_json: bool) -> None:
    """The next step for each failed layer, and (--write) scaffolds that start it.

    FEATURES narrows it (default: every feature with a failed layer). A scaffold (a guide,
    test module, factory stub or map file) never replaces a file that exists."""
    from lockgate import __version__
    from lockgate.commands.options import Options
    from lockgate.pipeline.align import align
    from lockgate.project import config
    from lockgate.report.json import dumps
    from lockgate.why.fix import CREATE, plan, select
    from lockgate.why.fix import write as write_scaffolds

    root = Path(".").resolve()
    result = align(root, Options(json=as_json, quiet=as_json, command="fix"))
    chosen = select(result, list(features))
    steps = plan(Path(result.root), config.load(Path(result.root)).config, chosen)
    if write:
        write_scaffolds(Path(result.root), steps)
    if as_json:
        for warning in result.warnings:
            click.echo(f"lockgate: warning: {warning}", err=True)
        rows = [{k: v for k, v in asdict(s).items() if k != "content"} for s in steps]
        payload = {"lockgate": __version__, "project": result.root, "written": write}
        click.echo(dumps({**payload, "features": rows}))
        return
    for step in steps:
        click.echo(f"{step.name} · {step.layer}: {step.detail}")
        click.echo(f"  → {step.step}")
        if step.line is not None:
            click.echo(f"    add: {step.line}")
        if step.action == CREATE:
            state = "created" if write else "scaffold to create (lockgate fix --write)"
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
        summary += f"; wrote {files}" if write else f"; {files} to write with --write"
    click.echo(summary)


def _plural(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"
