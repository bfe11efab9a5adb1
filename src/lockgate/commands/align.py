"""``lockgate align``."""

from __future__ import annotations

from typing import Any

import click

from lockgate.commands.options import options_from, output_from, output_options, shared_options


@click.command()
@shared_options
@output_options
@click.option(
    "--fail-under",
    type=click.IntRange(0, 100),
    default=None,
    help="Exit 1 when a non-internal feature scores under N (default: fail_under).",
)
def align(fail_under: int | None, **kwargs: Any) -> None:
    """Discover, validate and score every feature."""
    from lockgate.pipeline.align import align as run_align
    from lockgate.report.json import align_json, dumps

    path = kwargs.pop("path")
    output = output_from(kwargs)
    options = options_from(kwargs)
    result = run_align(path, options)
    if output.junit_xml is not None:
        from lockgate.report import junit

        junit.write(output.junit_xml, junit.render(result))
    if options.json:
        for warning in result.warnings:
            click.echo(f"lockgate: warning: {warning}", err=True)
        click.echo(dumps(align_json(result)))
    elif output.format == "github":
        from lockgate.report import github

        for line in github.workflow_commands(result):
            click.echo(line)
        click.echo(github.summary(result))
    else:
        from lockgate.report.console import print_align, view_of
        from lockgate.report.screen import Screen

        print_align(result, Screen.stdout(), view_of(options))
    if fail_under is None:
        fail_under = result.fail_under
    if fail_under is not None:
        under = [r for r in result.features if not r.feature.internal and r.score < fail_under]
        if under:
            if not options.json:
                from lockgate.words import counted

                names = ", ".join(f"{r.feature.name} ({r.score})" for r in under)
                what = counted(len(under), "feature")
                click.echo(f"lockgate: {what} under {fail_under}: {names}", err=True)
            raise click.exceptions.Exit(1)
