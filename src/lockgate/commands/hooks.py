"""``lockgate hooks install|uninstall``."""

from __future__ import annotations

from pathlib import Path

import click

from lockgate.commands.options import path_argument
from lockgate.deploy.hooks import install as run_install
from lockgate.deploy.hooks import uninstall as run_uninstall

_PATH = path_argument()


@click.group()
def hooks() -> None:
    """Git hooks that warm the store in the background after commit, merge and checkout."""


@hooks.command()
@_PATH
def install(path: Path) -> None:
    """Write post-commit, post-merge and post-checkout hooks; existing hooks keep running."""
    for line in run_install(path):
        click.echo(line)


@hooks.command()
@_PATH
def uninstall(path: Path) -> None:
    """Remove lockgate's hooks and restore the hooks they replaced."""
    for line in run_uninstall(path):
        click.echo(line)
