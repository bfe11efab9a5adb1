"""``lockgate why FEATURE`` and ``lockgate why --last [FEATURE]``."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lockgate.errors import LockgateError

if TYPE_CHECKING:
    from rich.console import Console

    from lockgate.why.explain import LastWhy, LayerWhy


@click.command()
@click.argument("feature", required=False)  # a feature (id or name), or a test file of no feature
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--last", is_flag=True, help="Explain what the last run did, not what a run would do now."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def why(feature: str | None, path: Path | None, last: bool, as_json: bool) -> None:
    """For each layer of FEATURE (or for a test file of no feature): reused or re-run, and
    which inputs changed. With --last, what the last run did and why each layer re-ran
    (FEATURE optional: without it, every feature of which a layer re-ran)."""
    from rich.console import Console

    from lockgate.commands.options import Options
    from lockgate.report.json import dumps
    from lockgate.why.explain import explain, explain_last

    if last and path is None and feature is not None and Path(feature).is_dir():
        path = Path(feature)  # `why --last DIR`: the project, no feature
        feature = None
    if path is not None and not path.is_dir():
        raise LockgateError(f"{path}: not a folder")
    from lockgate.project.project import find_root

    root = find_root(path or Path("."))
    if last:
        found = explain_last(root, feature)
        if as_json:
            click.echo(dumps(_last_json(found, feature is not None)))
        else:
            _print_last(found, Console(), feature is not None)
        return
    if feature is None:
        raise LockgateError("`why` needs FEATURE (a feature or a test file), or --last")
    owner, answers = explain(root, feature, Options(quiet=True))
    if as_json:
        click.echo(dumps({"feature": owner, "layers": _layers_json(answers)}))
        return
    _print_layers(Console(), owner, answers)


def _layers_json(answers: list[LayerWhy]) -> dict[str, Any]:
    return {a.layer: {k: v for k, v in asdict(a).items() if k != "layer"} for a in answers}


def _last_json(found: LastWhy, one: bool) -> dict[str, Any]:
    from lockgate.report.json import iso

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
        return {"run": head, "feature": owner, "layers": _layers_json(answers)}
    return {
        "run": head,
        "features": [{"feature": o, "layers": _layers_json(a)} for o, a in found.owners],
    }


def _print_last(found: LastWhy, console: Console, one: bool) -> None:
    from rich.text import Text

    from lockgate.report.json import iso

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
        _print_layers(console, owner, answers)


def _print_layers(console: Console, owner: str, answers: list[LayerWhy]) -> None:
    from rich.text import Text

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
