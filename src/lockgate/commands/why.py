"""``lockgate why FEATURE`` and ``lockgate why --last [FEATURE]``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from lockgate.commands.options import Options
from lockgate.errors import LockgateError
from lockgate.project.project import find_root
from lockgate.report.json import dumps
from lockgate.report.why import last_json, layers_json, print_last, print_layers
from lockgate.why.explain import explain, explain_last


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
    if last and path is None and feature is not None and Path(feature).is_dir():
        path = Path(feature)  # `why --last DIR`: the project, no feature
        feature = None
    if path is not None and not path.is_dir():
        raise LockgateError(f"{path}: not a folder")
    root = find_root(path or Path("."))
    if last:
        found = explain_last(root, feature)
        if as_json:
            click.echo(dumps(last_json(found, feature is not None)))
        else:
            print_last(found, Console(), feature is not None)
        return
    if feature is None:
        raise LockgateError("`why` needs FEATURE (a feature or a test file), or --last")
    owner, answers = explain(root, feature, Options(quiet=True))
    if as_json:
        click.echo(dumps({"feature": owner, "layers": layers_json(answers)}))
        return
    print_layers(Console(), owner, answers)
