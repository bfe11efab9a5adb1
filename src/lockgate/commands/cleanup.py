"""``lockgate cleanup``: what nothing uses (a dry run), and ``--apply`` to ``git rm`` it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from lockgate.commands.options import options_from, shared_options
from lockgate.errors import LockgateError
from lockgate.pipeline.cleanup import apply, find, require_clean
from lockgate.report.cleanup import cleanup_json, print_cleanup
from lockgate.report.json import dumps
from lockgate.report.screen import Screen


@click.command()
@shared_options
@click.option(
    "--apply", "do_apply", is_flag=True, help="git rm the unused tracked files (never commits)."
)
def cleanup(do_apply: bool, **kwargs: Any) -> None:
    """List guides, wiring entries, modules and test files that nothing uses, and why."""
    root = Path(kwargs.pop("path")).resolve()
    options = options_from(kwargs, command="cleanup")
    if options.shard or options.since or options.owner:
        raise LockgateError(
            "cleanup judges the whole project: run it without --shard, --since or --owner"
        )
    if do_apply:
        require_clean(root)  # before the run: a refusal should not wait for it
    result, items = find(root, options)
    removed = apply(root, items) if do_apply else None
    for warning in result.warnings:
        click.echo(f"lockgate: warning: {warning}", err=True)
    if options.json:
        click.echo(dumps(cleanup_json(items, removed)))
    else:
        print_cleanup(items, removed, Screen.stdout())
