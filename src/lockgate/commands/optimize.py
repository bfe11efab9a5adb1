"""``lockgate optimize``: the performance layer only, and the slowest features."""

from __future__ import annotations

from typing import Any

import click

from lockgate.commands.options import options_from, shared_options


@click.command()
@shared_options
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many of the slowest features to list (and every one over budget).",
)
def optimize(top: int, **kwargs: Any) -> None:
    """Measure import time, construction time and memory of every feature against budgets."""
    from lockgate.layers import optimized
    from lockgate.pipeline.align import align
    from lockgate.report.json import align_json, dumps

    path = kwargs.pop("path")
    options = options_from(kwargs)
    result = align(path, options, layers=(optimized.NAME,))
    for warning in result.warnings:
        click.echo(f"lockgate: warning: {warning}", err=True)
    if options.json:
        data = align_json(result)
        for feature in data["features"]:
            feature.pop("score"), feature.pop("status"), feature.pop("layers")
        data["summary"] = {
            "features": len(result.features),
            "passed": sum(1 for r in result.features if r.performance and r.performance.passed),
            "cache": data["summary"]["cache"],
            "seconds": data["summary"]["seconds"],
        }
        click.echo(dumps(data))
        return
    from lockgate.report.console import print_performance, view_of
    from lockgate.report.screen import Screen

    print_performance(result, Screen.stdout(), top, view_of(options))
