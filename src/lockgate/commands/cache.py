"""``lockgate cache stats|health|clear|prune|warm|push|pull``."""

from __future__ import annotations

import os
import time
from dataclasses import asdict
from pathlib import Path

import click
from rich.console import Console

from lockgate.commands.options import path_argument
from lockgate.pipeline.validate import current_keys, current_plan
from lockgate.pipeline.warm import warm as run_warm
from lockgate.project.project import Project
from lockgate.remote.client import Remote
from lockgate.remote.transfer import Transfer, settings
from lockgate.remote.transfer import pull as run_pull
from lockgate.remote.transfer import push as run_push
from lockgate.remote.trust import SIGNING_KEY_ENV, new_pair
from lockgate.report.cache import print_health, print_stats
from lockgate.report.json import dumps
from lockgate.store import health as checks
from lockgate.store.stats import stats_data
from lockgate.store.store import Store, store_dir
from lockgate.words import counted

_PATH = path_argument()
_JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


def _folder(path: Path) -> Path:
    return store_dir(Project.open(path).root)


def _store(path: Path) -> Store:
    return Store(_folder(path))


@click.group()
def cache() -> None:
    """The result store: numbers, health and repair, cleanup, warming, the remote."""


@cache.command()
@_PATH
@_JSON
@click.option(
    "--runs",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many recent runs to show.",
)
def stats(path: Path, as_json: bool, runs: int) -> None:
    """Entries and bytes per layer; hits, misses, hit rate and seconds saved of recent runs."""
    data = stats_data(_folder(path), runs)
    if as_json:
        click.echo(dumps(data))
        return
    print_stats(data, Console())


@cache.command()
@_PATH
@_JSON
@click.option("--repair", is_flag=True, help="Rebuild what is damaged, keep what is sound.")
def health(path: Path, as_json: bool, repair: bool) -> None:
    """healthy, warning or critical, with every reason; exits 1 when critical."""
    folder = _folder(path)
    repaired = checks.repair(folder) if repair else []
    result = checks.check(folder, current_keys(path))
    result.repaired = repaired
    if as_json:
        click.echo(
            dumps(
                {
                    "status": result.status,
                    "path": result.path,
                    "findings": [asdict(f) for f in result.findings],
                    "repaired": result.repaired,
                }
            )
        )
    else:
        print_health(result, Console())
    if result.status == "critical":
        raise click.exceptions.Exit(1)


@cache.command()
@_PATH
@_JSON
@click.option("--stale", is_flag=True, help="Only results that no current key reaches.")
def clear(path: Path, as_json: bool, stale: bool) -> None:
    """Remove every stored result, or only the stale ones."""
    keep = current_keys(path) if stale else set()
    store = _store(path)
    try:
        removed = store.delete([k for k in store.result_keys() if k not in keep])
        if not stale:
            store.clear()
        store.vacuum()
    finally:
        store.close()
    _report(removed, "stale result" if stale else "result", "", as_json)


@cache.command()
@_PATH
@_JSON
@click.option(
    "--older-than",
    "days",
    type=click.FloatRange(min=0),
    default=30,
    show_default=True,
    help="Remove results stored more than DAYS ago.",
)
def prune(path: Path, as_json: bool, days: float) -> None:
    """Remove results older than DAYS."""
    store = _store(path)
    try:
        removed = store.prune(time.time() - days * 86400)
        store.vacuum()
    finally:
        store.close()
    unit = "day" if days == 1 else "days"  # a float: 0.5 days
    _report(removed, "result", f" older than {days:g} {unit}", as_json)


def _report(removed: int, noun: str, rest: str, as_json: bool) -> None:
    if as_json:
        click.echo(dumps({"removed": removed}))
    else:
        click.echo(f"removed {counted(removed, noun)}{rest}")


@cache.command()
@_PATH
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=os.cpu_count() or 1)
@click.option("--quiet", "-q", is_flag=True, help="Say nothing, even when another warmer runs.")
def warm(path: Path, jobs: int, quiet: bool) -> None:
    """Align quietly into the store (deploy's suite too); one warmer at a time."""
    started = time.perf_counter()
    ran = run_warm(path, jobs)
    if not quiet:
        if ran:
            click.echo(f"warmed the store in {time.perf_counter() - started:.2f}s")
        else:
            click.echo("another warmer is running; nothing to do")


_REMOTE = click.option(
    "--remote", metavar="URL", help="The remote (default: LOCKGATE_REMOTE, then the config)."
)
_PACK = click.option(
    "--pack",
    type=click.Path(dir_okay=False, path_type=Path),
    help="One file instead of the remote (for CI caches such as actions/cache).",
)


@cache.command()
@_PATH
@_JSON
@_REMOTE
@_PACK
def push(path: Path, as_json: bool, remote: str | None, pack: Path | None) -> None:
    """Copy every valid local result, with the facts it needs, to the remote; with --pack,
    the results valid for the tree as it is now, into one file."""
    target = settings(path, remote, pack)
    keys = current_plan(path)[0] if pack is not None else None
    store = _store(path)
    try:
        done = run_push(store, target, keys)
    finally:
        store.close()
    message = f"pushed {done.moved} results to {done.url}"
    if done.skipped:
        message += f" ({done.skipped} left out: the probe sets they name are not stored)"
    _transferred(done, as_json, message, "pushed")


@cache.command()
@_PATH
@_JSON
@_REMOTE
@_PACK
def pull(path: Path, as_json: bool, remote: str | None, pack: Path | None) -> None:
    """Copy the remote's (or the pack's) valid results for the project as it is now into
    the local store."""
    target = settings(path, remote, pack)
    reader = Remote(target)
    try:
        keys, records = current_plan(path, reader)
    finally:
        reader.close()
    store = _store(path)
    try:
        done = run_pull(store, target, keys, records)
    finally:
        store.close()
    message = f"pulled {done.moved} results from {done.url} ({done.skipped} already stored)"
    _transferred(done, as_json, message, "pulled")


@cache.command()
def keygen() -> None:
    """Print a new Ed25519 key pair for a trusted scope of the remote."""
    private, public = new_pair()
    click.echo(
        f"# the secret of the jobs that write trusted scopes (never in the repository):\n"
        f"{SIGNING_KEY_ENV}={private}\n"
        "# for [tool.lockgate.remote] of every reader:\n"
        f'public_keys = ["{public}"]'
    )


def _transferred(done: Transfer, as_json: bool, message: str, verb: str) -> None:
    """Print what moved; a remote that failed or refused makes the command exit 1."""
    for warning in done.warnings:
        click.echo(f"lockgate: warning: {warning}", err=True)
    if as_json:
        skipped = "skipped" if verb == "pushed" else "already_stored"
        click.echo(dumps({verb: done.moved, skipped: done.skipped, "remote_errors": done.errors}))
    else:
        click.echo(message)
    if done.warnings:
        raise click.exceptions.Exit(1)
