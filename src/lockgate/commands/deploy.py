"""``lockgate deploy``: align, run the gates, and build the package from what was validated."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import click

from lockgate.commands.options import (
    audit_options,
    options_from,
    output_from,
    output_options,
    shared_options,
    with_audit,
)
from lockgate.deploy.gates import blockers
from lockgate.errors import LockgateError
from lockgate.pipeline.deploy import deploy as run_deploy
from lockgate.report.deploy import deploy_json, github_lines, print_deploy
from lockgate.report.emit import emit


@click.command()
@shared_options
@output_options
@audit_options
@click.option("--dry-run", is_flag=True, help="Validate and list what would ship; write nothing.")
@click.option(
    "--allow-dirty",
    is_flag=True,
    help="Deploy the work tree as validated even when tracked files have uncommitted changes.",
)
@click.option("--branch", metavar="NAME", help="Branch to commit on (default: deploy.branch).")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Also write the package to this folder, or to a .tar.gz when the name ends so.",
)
def deploy(
    dry_run: bool, allow_dirty: bool, branch: str | None, out: Path | None, **kwargs: Any
) -> None:
    """Validate, gate and package the committed project on a deploy branch."""
    root = Path(kwargs.pop("path")).resolve()
    output = output_from(kwargs)
    options = with_audit(options_from(kwargs, command="deploy"), kwargs)
    if options.owner is not None:
        raise LockgateError(
            "deploy gates the whole project: --owner narrows what align and report show"
        )
    if options.shard is not None:
        raise LockgateError(
            "deploy ships only what it validated whole, never one shard: run the shards with "
            "`lockgate align --shard K/N`, then `lockgate deploy` (it reuses their results)"
        )
    done = run_deploy(root, options, branch, out, dry_run, allow_dirty)
    emit(
        done.result,
        options,
        output,
        gates=done.gates,
        payload=partial(deploy_json, done),
        console=partial(print_deploy, done),
        github=github_lines(done),
    )
    if done.failed is not None:
        raise done.failed
    if done.blocked:
        names = ", ".join(blockers(done.gates))
        click.echo(f"lockgate: deploy blocked by {names}; nothing was written", err=True)
        raise click.exceptions.Exit(1)
