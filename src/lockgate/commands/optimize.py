"""``lockgate optimize``: the performance layer only, and the slowest features."""

from __future__ import annotations

from functools import partial
from typing import Any

import click

from lockgate.commands.options import options_from, shared_options
from lockgate.errors import LockgateError
from lockgate.layers import optimized
from lockgate.model import AlignResult
from lockgate.pipeline.align import align
from lockgate.policy import codeowners
from lockgate.report.console import View, print_performance
from lockgate.report.emit import emit
from lockgate.report.screen import Screen


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
    path = kwargs.pop("path")
    options = options_from(kwargs)
    if options.since is not None:
        raise LockgateError("optimize gates nothing: --since is for align, deploy and report")
    result = align(path, options, layers=(optimized.NAME,))
    if options.owner is not None:
        codeowners.only(result, options.owner)

    def table(screen: Screen, view: View) -> None:
        print_performance(result, screen, top, view)

    emit(result, options, payload=partial(_performance_json, result), console=table, warn=True)


def _performance_json(result: AlignResult, data: dict[str, Any]) -> dict[str, Any]:
    """Align's JSON object without scores and layers: measurements and a performance summary."""
    for feature in data["features"]:
        feature.pop("score"), feature.pop("status"), feature.pop("layers")
    data["summary"] = {
        "features": len(result.features),
        "passed": sum(1 for r in result.features if r.performance and r.performance.passed),
        "cache": data["summary"]["cache"],
        "seconds": data["summary"]["seconds"],
    }
    return data
