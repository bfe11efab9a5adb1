"""``lockgate report --html FILE``: align, the gates and the store's numbers on one page."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lockgate.commands.options import options_from, shared_options

if TYPE_CHECKING:
    from lockgate.commands.options import Options
    from lockgate.deploy.gates import GateResult
    from lockgate.model import AlignResult
    from lockgate.project.config import Config

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
    from lockgate.errors import LockgateError
    from lockgate.layers import optimized
    from lockgate.model import LAYERS
    from lockgate.pipeline.align import align
    from lockgate.project import config
    from lockgate.report import html

    root = Path(kwargs.pop("path")).resolve()
    options = dataclasses.replace(options_from(kwargs), command="report")
    target = html_file.resolve()
    if not target.parent.is_dir():
        raise LockgateError(f"--html {html_file}: folder {target.parent} does not exist")
    cfg = config.load(root).config
    source, note = _source(root)  # before align, as deploy does: gates judge this commit

    result = align(root, options, layers=(*LAYERS, optimized.NAME))
    gates = None
    if source is not None:
        gates, note = _gates(root, cfg, result, options, source, note)
    stats, stats_note = _stats(result, options)
    budget = f"{cfg.performance.budget_ms:g} ms, {cfg.performance.budget_mb:g} MB"
    page = html.Report(result, gates, note, stats, stats_note, budget, source)
    html.write(target, html.render(page))

    for warning in result.warnings:
        click.echo(f"lockgate: warning: {warning}", err=True)
    if options.json:
        from lockgate.report.json import align_json, dumps

        payload = align_json(result)
        payload["gates"] = None if gates is None else [vars(g) for g in gates]
        payload["report"] = str(target)
        click.echo(dumps(payload))
        return
    from lockgate.report.console import print_details, view_of
    from lockgate.report.screen import Screen

    print_details(result, Screen.stdout(), view_of(options))
    click.echo(str(target))
    click.echo(_one_line(result, gates))


def _source(root: Path) -> tuple[str | None, str]:
    """The commit the gates judge, or None and why there is none."""
    from lockgate import git
    from lockgate.errors import LockgateError

    try:
        git.require_toplevel(root)
        source = git.head(root)
        dirty = git.is_dirty(root)
    except LockgateError as exc:
        return None, str(exc)
    note = f"As lockgate deploy would judge commit {source[:12]}."
    if dirty:
        note += (
            " Tracked files have uncommitted changes: integration and tests judge the work tree,"
            " version, purity and mocks the commit."
        )
    return source, note


def _gates(
    root: Path, cfg: Config, result: AlignResult, options: Options, source: str, note: str
) -> tuple[list[GateResult] | None, str]:
    from lockgate.deploy.gates import run_gates
    from lockgate.deploy.package.inspect import inspect
    from lockgate.errors import LockgateError
    from lockgate.store.store import Store, store_dir

    store = None if options.no_cache else Store(store_dir(root))
    try:
        package = inspect(root, cfg, source, options.jobs, store)
    except LockgateError as exc:
        return None, str(exc)
    finally:
        if store is not None:
            store.close()
    return run_gates(result, cfg, package.evidence), note


def _stats(result: AlignResult, options: Options) -> tuple[dict[str, Any] | None, str]:
    from lockgate.store.stats import stats_data
    from lockgate.store.store import store_dir

    if options.no_cache:
        return None, "--no-cache was given, so the store was neither read nor written."
    return stats_data(store_dir(Path(result.root)), RUNS), ""


def _one_line(result: AlignResult, gates: list[GateResult] | None) -> str:
    from lockgate.words import counted

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
