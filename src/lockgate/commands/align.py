"""``lockgate align``."""

from __future__ import annotations

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
from lockgate.model import AlignResult
from lockgate.pipeline import history
from lockgate.pipeline.align import align as run_align
from lockgate.policy import codeowners, newcode
from lockgate.report.emit import emit
from lockgate.words import counted


@click.command()
@shared_options
@output_options
@audit_options
@click.option(
    "--fail-under",
    type=click.IntRange(0, 100),
    default=None,
    help="Exit 1 when a non-internal feature scores under N (default: fail_under).",
)
def align(fail_under: int | None, **kwargs: Any) -> None:
    """Discover, validate and score every feature."""
    path = kwargs.pop("path")
    output = output_from(kwargs)
    options = with_audit(options_from(kwargs), kwargs)
    # a REF that names no commit is one line before the run, not after it
    since = newcode.resolve(path, options.since, "all") if options.since else None
    result = run_align(path, options)
    if options.owner is not None:
        codeowners.only(result, options.owner)
    emit(result, options, output)
    _check_audit(result)
    threshold = result.fail_under if fail_under is None else fail_under
    if since is None:
        _check_scores(result, threshold, options.json)
    elif threshold is not None:
        _check_new_code(result, threshold, newcode.with_scores(since, history.points(path)))


def _check_audit(result: AlignResult) -> None:
    """Exit 1 when an audit found a stored result wrong and ``gates.audit`` is "error" (the
    mismatches are among the warnings already)."""
    audit = result.audit
    if audit is not None and audit.mismatches and audit.blocking:
        what = counted(len(audit.mismatches), "stored result")
        click.echo(f"lockgate: the audit found {what} wrong (gates.audit)", err=True)
        raise click.exceptions.Exit(1)


def _check_new_code(result: AlignResult, fail_under: int, since: newcode.Since) -> None:
    """With --since: exit 1 when a feature new since REF scores under ``fail_under`` or a
    score dropped since REF (unchanged legacy does not count); REF without a record fails."""
    passed, detail = newcode.check(result, fail_under, since)
    if not passed:
        click.echo(f"lockgate: {detail}", err=True)
        raise click.exceptions.Exit(1)


def _check_scores(result: AlignResult, fail_under: int | None, as_json: bool) -> None:
    """Exit 1 when a non-internal feature scores under ``fail_under``; on stderr, which ones
    (not with --json: its object holds the scores)."""
    if fail_under is None:
        return
    under = [r for r in result.features if not r.feature.internal and r.score < fail_under]
    if not under:
        return
    if not as_json:
        names = ", ".join(f"{r.feature.name} ({r.score})" for r in under)
        what = counted(len(under), "feature")
        click.echo(f"lockgate: {what} under {fail_under}: {names}", err=True)
    raise click.exceptions.Exit(1)
