"""The flags every aligning command shares."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from lockgate.shard import Shard

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
    command: str = "align"  # what the run statistics record this run as
    shard: Shard | None = None  # --shard K/N: validate only part K of N


def shared_options(func: F) -> F:
    """Add ``PATH`` and the shared flags (--json, --no-cache, --clear-cache, --jobs, --quiet,
    --shard)."""
    decorators = [
        click.argument(
            "path",
            required=False,
            default=".",
            type=click.Path(exists=True, file_okay=False, path_type=Path),
        ),
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
        click.option("--quiet", "-q", is_flag=True, help="No progress, only the result."),
        click.option(
            "--shard",
            metavar="K/N",
            callback=_shard,
            help="Validate only part K of N (a CI matrix job); report that part only.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _shard(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Shard | None:
    from lockgate.shard import parse

    return None if value is None else parse(value)


def options_from(kwargs: dict[str, Any], command: str = "align") -> Options:
    """Pop the shared flags out of a command's keyword arguments."""
    return Options(
        json=kwargs.pop("as_json"),
        no_cache=kwargs.pop("no_cache"),
        clear_cache=kwargs.pop("clear_cache"),
        retry_failed=kwargs.pop("retry_failed"),
        jobs=kwargs.pop("jobs"),
        quiet=kwargs.pop("quiet"),
        command=command,
        shard=kwargs.pop("shard"),
    )
