"""``lockgate report --html FILE``: align, the gates and the store's numbers on one page."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import click

from lockgate.commands.options import Options, options_from, shared_options
from lockgate.deploy.gates import GateResult
from lockgate.layers import optimized
from lockgate.model import LAYERS, AlignResult
from lockgate.pipeline import history
from lockgate.pipeline.deploy import Judged, judge
from lockgate.policy import codeowners
from lockgate.report import html
from lockgate.report.console import View, print_details
from lockgate.report.emit import emit
from lockgate.report.files import check_folder
from lockgate.report.screen import Screen
from lockgate.report.trend import Trend, trend, trend_json, trend_line
from lockgate.store.stats import stats_data
from lockgate.store.store import store_dir
from lockgate.words import counted

RUNS = 20  # recent runs charted


@click.command()
@click.option(
    "--html",
    "html_file",
    required=True,
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this HTML file.",
)
@shared_options
def report(html_file: Path, **kwargs: Any) -> None:
    """Write one self-contained HTML page: scores, layers, performance, gates, the store."""
    root = Path(kwargs.pop("path")).resolve()
    options = options_from(kwargs, command="report")
    check_folder("--html", html_file)
    target = html_file.resolve()
    judged = judge(root, options, layers=(*LAYERS, optimized.NAME))
    if options.owner is not None:  # the page shows theirs; the gates judged the whole project
        codeowners.only(judged.result, options.owner)
    found = None if options.no_cache else trend(history.points(root), judged.result, judged.commit)
    html.write(target, html.render(_page(judged, options, found)))
    emit(
        judged.result,
        options,
        payload=partial(_report_json, judged.gates, target, found),
        console=partial(_print_report, judged.result, judged.gates, target, found),
        warn=True,
    )


def _report_json(
    gates: list[GateResult] | None, target: Path, found: Trend | None, data: dict[str, Any]
) -> dict[str, Any]:
    data["gates"] = None if gates is None else [vars(g) for g in gates]
    data["report"] = str(target)
    data["history"] = None if found is None else trend_json(found)  # None: --no-cache
    return data


def _print_report(
    result: AlignResult,
    gates: list[GateResult] | None,
    target: Path,
    found: Trend | None,
    screen: Screen,
    view: View,
) -> None:
    """The details of the run, the trend, the page's path, and one line with the gates'
    verdict."""
    print_details(result, screen, view)
    line = trend_line(found) if found is not None else None
    if line is not None:
        click.echo(line)
    click.echo(str(target))
    click.echo(_one_line(result, gates))


def _page(judged: Judged, options: Options, found: Trend | None) -> html.Report:
    """The page: the run, the gates and, unless --no-cache, the store's recent runs."""
    if options.no_cache:
        stats, stats_note = None, "--no-cache was given, so the store was neither read nor written."
    else:
        stats, stats_note = stats_data(store_dir(Path(judged.result.root)), RUNS), ""
    performance = judged.config.performance
    budget = f"{performance.budget_ms:g} ms, {performance.budget_mb:g} MB"
    return html.Report(
        judged.result, judged.gates, judged.note, stats, stats_note, budget, judged.commit, found
    )


def _one_line(result: AlignResult, gates: list[GateResult] | None) -> str:
    scores = [r.score for r in result.features]
    mean = f"{sum(scores) / len(scores):.1f}" if scores else "-"
    counts = ", ".join(
        f"{sum(1 for r in result.features if r.status == s)} {s}"
        for s in ("healthy", "warning", "critical")
    )
    if gates is None:
        verdict = "gates not evaluated"
    else:
        failed = [g.name for g in gates if not g.passed]
        verdict = f"gates failed: {', '.join(failed)}" if failed else "all gates passed"
    return f"{counted(len(scores), 'feature')}, mean score {mean} ({counts}); {verdict}"
