"""A run's result on stdout in the chosen format (table, JSON, GitHub), and the JUnit file.

One place for what every aligning command prints, so that ``align``, ``deploy``, ``optimize``
and ``report`` say the same things the same way; each adds only its own part.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from lockgate.commands.options import Options, Output
from lockgate.model import AlignResult
from lockgate.report.console import View, print_align, view_of
from lockgate.report.json import align_json, dumps
from lockgate.report.screen import Screen

if TYPE_CHECKING:
    from lockgate.deploy.gates import GateResult  # its import loads pydantic's configuration

__all__ = ["emit"]

TABLE = Output()


def emit(
    result: AlignResult,
    options: Options,
    output: Output = TABLE,
    *,
    gates: list[GateResult] | None = None,
    payload: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    console: Callable[[Screen, View], None] | None = None,
    github: Sequence[str] = (),
    warn: bool = False,
) -> None:
    """Write the JUnit file when asked, then print ``result`` in the format asked for.

    ``payload`` turns align's JSON object into the command's; ``console`` prints the table view
    (default: align's); ``github`` are lines after GitHub's summary. Warnings go to stderr
    before JSON, and before any format with ``warn``; else the table (on stderr) and GitHub's
    annotations show them.
    """
    if output.junit_xml is not None:
        # lazy: junit and xml.etree cost a no-change run ~4 ms; only --junit-xml uses them
        from lockgate.report import junit

        junit.write(output.junit_xml, junit.render(result, gates))
    if warn or options.json:
        for warning in result.warnings:
            click.echo(f"lockgate: warning: {warning}", err=True)
    if options.json:
        data = align_json(result)
        click.echo(dumps(data if payload is None else payload(data)))
    elif output.format == "github":
        # lazy: github and lockgate.git cost a no-change run ~6 ms; only --format github uses them
        from lockgate.report import github as annotations

        for line in annotations.workflow_commands(result, gates):
            click.echo(line)
        click.echo(annotations.summary(result))
        for line in github:
            click.echo(line)
    elif console is None:
        print_align(result, Screen.stdout(), view_of(options))
    else:
        console(Screen.stdout(), view_of(options))
