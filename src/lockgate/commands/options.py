"""The flags every aligning command shares."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import click

from lockgate.errors import LockgateError
from lockgate.execution.dask_address import parse_executor
from lockgate.pipeline.shard import Shard, parse
from lockgate.project.project import find_root
from lockgate.report.files import check_folder

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Options:
    """How one run should behave; built from the shared flags."""

    json: bool = False
    no_cache: bool = False
    clear_cache: bool = False
    retry_failed: bool = False
    jobs: int = os.cpu_count() or 1
    quiet: bool = False
    verbose: bool = False  # console: every row, not only the ones that need attention
    command: str = "align"  # what the run statistics record this run as
    remote: str | None = None  # --remote URL: overrides LOCKGATE_REMOTE and the configuration
    no_remote: bool = False
    shard: Shard | None = None  # --shard K/N: validate only part K of N; or --shard auto
    run_id: str | None = None  # --run-id ID: the run whose jobs share --shard auto's queue
    # deploy's own: a stored failure a gate would block on runs again once before it blocks
    recheck_failures: bool = False
    audit: float | None = None  # --audit FRACTION: wins over the configuration's ``audit``
    audit_seed: int | None = None  # --audit-seed N: else the run's number in the store
    since: str | None = None  # --since REF: gate only what is new or dropped since REF
    owner: str | None = None  # --owner OWNER: show only the features CODEOWNERS gives OWNER
    # --executor dask://HOST:PORT: where units run (wins over the configuration's ``executor``)
    executor: str | None = None
    executor_insecure: bool = False  # --executor-insecure: a plain-TCP scheduler elsewhere
    executor_fallback: bool = False  # --executor-fallback: run here when it is out of reach


def _project_root(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    return find_root(value)


def path_argument() -> Callable[[F], F]:
    """``PATH``: a folder of the project (default: the current one), given to the command as
    the project root found from it by walking up to the nearest configuration."""
    return click.argument(
        "path",
        required=False,
        default=".",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        callback=_project_root,
    )


def shared_options(func: F) -> F:
    """Add ``PATH`` and the shared flags (--json, --no-cache, --clear-cache, --jobs, --quiet,
    --verbose, --remote, --no-remote, --shard, --run-id, --since, --owner, --executor,
    --executor-insecure, --executor-fallback)."""
    decorators = [
        path_argument(),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object."),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the store."),
        click.option("--clear-cache", is_flag=True, help="Empty the store first."),
        click.option(
            "--retry-failed", is_flag=True, help="Re-run failed layers even when their key matches."
        ),
        click.option(
            "--jobs",
            "-j",
            type=click.IntRange(min=1),
            default=os.cpu_count() or 1,
            show_default="number of cores",
            help="Worker processes.",
        ),
        click.option(
            "--quiet", "-q", is_flag=True, help="No progress; print the summary line only."
        ),
        click.option(
            "--verbose", "-v", is_flag=True, help="Show every feature, the healthy ones too."
        ),
        # the shared remote store (lockgate.remote)
        click.option(
            "--remote", metavar="URL", help="Read and share results with this remote store."
        ),
        click.option("--no-remote", is_flag=True, help="Use no remote store, whatever is set."),
        click.option(
            "--shard",
            metavar="K/N|auto",
            callback=_shard,
            help="Validate only part K of N (a CI matrix job); report that part only. auto: "
            "the jobs of one run claim work from a queue in the Redis remote, longest first.",
        ),
        click.option(
            "--run-id",
            metavar="ID",
            help="--shard auto: the id its jobs share (default: the CI's, e.g. GITHUB_RUN_ID "
            "and GITHUB_RUN_ATTEMPT, CI_PIPELINE_ID, BUILDKITE_BUILD_ID).",
        ),
        click.option(
            "--since",
            metavar="REF",
            help="Gate only new code: features new since REF under the threshold, and scores "
            'that dropped since REF (deploy, report; align with --fail-under; gate = "new-code" '
            "uses the merge-base with the default branch).",
        ),
        click.option(
            "--owner",
            metavar="OWNER",
            help="Show only the features CODEOWNERS gives OWNER (@team, @user, an email, or "
            "(unowned)).",
        ),
        click.option(
            "--executor",
            metavar="URL",
            callback=_executor,
            help="Where imports and tests run: local (default), or a Dask scheduler "
            "dask://HOST:PORT or dask+tls://HOST:PORT (extra lockgate[dask]).",
        ),
        click.option(
            "--executor-insecure",
            is_flag=True,
            help="Accept a plain-TCP (dask://) scheduler that is not on this machine.",
        ),
        click.option(
            "--executor-fallback",
            is_flag=True,
            help="Run here, with a warning, when the Dask scheduler cannot be reached.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _shard(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Shard | None:
    return None if value is None else parse(value)


def _executor(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            parse_executor(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


def options_from(kwargs: dict[str, Any], command: str = "align") -> Options:
    """Pop the shared flags out of a command's keyword arguments."""
    if kwargs["quiet"] and kwargs["verbose"]:
        raise click.UsageError("--quiet and --verbose exclude each other")
    for flag in ("since", "owner"):
        if kwargs[flag] is not None and not kwargs[flag].strip():
            raise click.UsageError(f"--{flag} needs a value")
    if kwargs["run_id"] is not None and not (kwargs["shard"] and kwargs["shard"].auto):
        raise click.UsageError("--run-id names the run of --shard auto: pass both, or neither")
    return Options(
        json=kwargs.pop("as_json"),
        no_cache=kwargs.pop("no_cache"),
        clear_cache=kwargs.pop("clear_cache"),
        retry_failed=kwargs.pop("retry_failed"),
        jobs=kwargs.pop("jobs"),
        quiet=kwargs.pop("quiet"),
        verbose=kwargs.pop("verbose"),
        command=command,
        remote=kwargs.pop("remote"),
        no_remote=kwargs.pop("no_remote"),
        shard=kwargs.pop("shard"),
        run_id=kwargs.pop("run_id"),
        since=kwargs.pop("since"),
        owner=kwargs.pop("owner"),
        executor=kwargs.pop("executor"),
        executor_insecure=kwargs.pop("executor_insecure"),
        executor_fallback=kwargs.pop("executor_fallback"),
    )


def audit_options(func: F) -> F:
    """Add ``--audit FRACTION`` and ``--audit-seed N`` (align and deploy)."""
    decorators = [
        click.option(
            "--audit",
            metavar="FRACTION",
            type=click.FloatRange(0, 1),
            default=None,
            help="Run this share of the results that would be reused again, and fail when one "
            "differs (default: the configuration's audit).",
        ),
        click.option(
            "--audit-seed",
            metavar="N",
            type=click.IntRange(min=0),
            default=None,
            help="The run number whose part --audit takes; a run audits only when due (default: "
            "the run's number in the store, so that any ceil(1/FRACTION) runs one after the "
            "other audit every result once).",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def with_audit(options: Options, kwargs: dict[str, Any]) -> Options:
    """``options`` with ``--audit`` and ``--audit-seed`` popped from ``kwargs``."""
    return replace(options, audit=kwargs.pop("audit"), audit_seed=kwargs.pop("audit_seed"))


FORMATS = ("table", "json", "github")


@dataclass(frozen=True)
class Output:
    """Where a run's result goes besides the exit code: the stdout format, a JUnit file."""

    format: str = "table"
    junit_xml: Path | None = None


def output_options(func: F) -> F:
    """Add ``--format table|json|github`` and ``--junit-xml FILE`` (align and deploy)."""
    decorators = [
        click.option(
            "--format",
            "output_format",
            type=click.Choice(FORMATS),
            default=None,
            help="stdout: the table (default), one JSON object (as --json), or GitHub "
            "workflow annotations.",
        ),
        click.option(
            "--junit-xml",
            metavar="FILE",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Also write a JUnit XML report: one test case per feature layer.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def output_from(kwargs: dict[str, Any]) -> Output:
    """Pop ``--format`` and ``--junit-xml``; ``--format json`` turns on ``--json``."""
    chosen = kwargs.pop("output_format")
    if kwargs["as_json"] and chosen not in (None, "json"):
        raise LockgateError(f"--json and --format {chosen} contradict each other; pick one")
    if chosen == "json":
        kwargs["as_json"] = True
    junit = kwargs.pop("junit_xml")
    if junit is not None:
        check_folder("--junit-xml", junit)
    return Output("json" if kwargs["as_json"] else chosen or "table", junit)
