"""``lockgate deploy``: align, run the gates, and build the package from what was validated."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lockgate import git
from lockgate.commands.options import options_from, output_from, output_options, shared_options
from lockgate.deploy.gates import blockers, blocking, run_gates
from lockgate.deploy.package.commit import commit, finish
from lockgate.deploy.package.inspect import Package, committed, inspect, work_tree
from lockgate.deploy.package.out import check_out_path, write_out
from lockgate.errors import LockgateError
from lockgate.project import config
from lockgate.words import counted

if TYPE_CHECKING:
    from lockgate.report.console import View
    from lockgate.report.screen import Screen


@click.command()
@shared_options
@output_options
@click.option("--dry-run", is_flag=True, help="Validate and list what would ship; write nothing.")
@click.option(
    "--allow-dirty",
    is_flag=True,
    help="Deploy the work tree as validated even when tracked files have uncommitted changes.",
)
@click.option("--branch", metavar="NAME", help="Branch to commit on (default: deploy.branch).")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Also write the package to this folder, or to a .tar.gz when the name ends so.",
)
def deploy(
    dry_run: bool, allow_dirty: bool, branch: str | None, out: Path | None, **kwargs: Any
) -> None:
    """Validate, gate and package the committed project on a deploy branch."""
    from rich.console import Console

    from lockgate.pipeline.align import align
    from lockgate.remote.client import Remote
    from lockgate.remote.settings import resolve
    from lockgate.report.console import print_align, view_of
    from lockgate.report.gates import print_gates
    from lockgate.report.json import align_json, dumps
    from lockgate.report.screen import Screen
    from lockgate.store.store import Store, store_dir

    root = Path(kwargs.pop("path")).resolve()
    output = output_from(kwargs)
    options = options_from(kwargs, command="deploy")
    if options.shard is not None:
        raise LockgateError(
            "deploy ships only what it validated whole, never one shard: run the shards with "
            "`lockgate align --shard K/N`, then `lockgate deploy` (it reuses their results)"
        )
    cfg = config.load(root).config
    branch = branch or cfg.deploy.branch
    out = out.resolve() if out is not None else None
    _check_repository(root, branch, allow_dirty)
    if out is not None:
        check_out_path(out)
    base = git.head(root)  # before align: what ships is what was committed when we started

    # One remote for the layers and the secret scans: one that is down costs one timeout.
    wanted = resolve(options.remote, options.no_remote, cfg.remote.url, cfg.remote.read_only)
    remote = Remote(wanted) if wanted is not None and not options.no_cache else None
    try:
        result = align(root, options, remote=remote)
        seen = len(remote.warnings) if remote is not None else 0
        # With --allow-dirty the work tree was validated, so the work tree is what ships.
        source = work_tree(root, base, result.inputs) if allow_dirty else committed(root, base)
        store = None if options.no_cache else Store(store_dir(root))
        try:
            package = inspect(root, cfg, source, options.jobs, store, remote)
        finally:
            if store is not None:
                store.close()
        if remote is not None:
            result.warnings += remote.warnings[seen:]
    finally:
        if remote is not None:
            remote.close()
    gates = run_gates(result, cfg, package.evidence)
    blocked = blocking(gates)
    finish(package, result, gates)
    made = failed = None
    unchanged = False
    if not blocked and not dry_run:
        previous = git.branch_commit(root, branch)
        try:
            made = commit(root, package, branch)
            # Only once the branch holds the package: a failed deploy writes no --out either.
            if out is not None:
                write_out(root, package, out)
        except LockgateError as exc:
            failed = exc
        unchanged = made is not None and made == previous
    written = str(out) if out is not None and made and not failed else None
    if output.junit_xml is not None:
        from lockgate.report import junit

        junit.write(output.junit_xml, junit.render(result, gates))

    if options.json:
        for warning in result.warnings:
            click.echo(f"lockgate: warning: {warning}", err=True)
        payload = align_json(result)
        payload["gates"] = [vars(g) for g in gates]
        payload["package"] = _package_json(package, branch, made, written, unchanged, failed)
        payload["deployed"] = made is not None and failed is None
        click.echo(dumps(payload))
    elif output.format == "github":
        from lockgate.report import github

        for line in github.workflow_commands(result, gates):
            click.echo(line)
        click.echo(github.summary(result))
        if not blocked and failed is None:
            click.echo(_headline(package, branch, made, dry_run, unchanged))
    else:
        view = view_of(options)
        screen = Screen.stdout()
        print_align(result, screen, view)
        if view != "quiet":
            print_gates(gates, Console())
        if not blocked and failed is None:
            _print_package(screen, package, branch, made, written, dry_run, view, unchanged)
    if failed is not None:
        raise failed
    if blocked:
        names = ", ".join(blockers(gates))
        click.echo(f"lockgate: deploy blocked by {names}; nothing was written", err=True)
        raise click.exceptions.Exit(1)


def _package_json(
    package: Package,
    branch: str,
    made: str | None,
    written: str | None,
    unchanged: bool,
    failed: LockgateError | None,
) -> dict[str, Any]:
    return {
        "branch": branch,
        "commit": made,
        "version": package.version,
        "files": package.count,
        "bytes": package.bytes,
        "out": written,
        "dirty": package.source.dirty,
        "base": package.source.commit if package.source.dirty else None,
        "unchanged": unchanged,
        "notes": package.notes,
        "error": str(failed) if failed is not None else None,
    }


def _check_repository(root: Path, branch: str, allow_dirty: bool) -> None:
    git.require_toplevel(root)
    git.head(root)  # a repository without commits gets one clear line, before git's own words
    git.check_branch_name(root, branch)
    if git.current_branch(root) == branch:
        raise LockgateError(
            f"branch {branch} is checked out here; deploy to another branch "
            "(--branch or [tool.lockgate.deploy] branch)"
        )
    elsewhere = git.worktree_branches(root).get(branch)
    if elsewhere is not None:
        # Moving it would change what that work tree shows under its feet, as git branch -f
        # refuses to.
        raise LockgateError(
            f"branch {branch} is checked out in the work tree {elsewhere}; deploy to another "
            "branch (--branch or [tool.lockgate.deploy] branch) or remove that work tree"
        )
    if not allow_dirty and git.is_dirty(root):
        raise LockgateError(
            "tracked files have uncommitted changes; commit or stash them, or pass "
            "--allow-dirty to deploy the work tree as validated"
        )


def _print_package(
    screen: Screen,
    package: Package,
    branch: str,
    made: str | None,
    written: str | None,
    dry_run: bool,
    view: View,
    unchanged: bool,
) -> None:
    """What was (or would be) shipped; ``-q`` prints only the line that says so."""
    out: list[str] = []
    if view != "quiet":
        out.append("")
        if package.source.dirty:
            out += screen.wrap(
                "packaging the work tree as validated "
                f"(uncommitted changes on {package.source.commit[:12]})"
            )
        for note in package.notes:
            out += screen.wrap(note, "note: ")
    out += screen.wrap(_headline(package, branch, made, dry_run, unchanged))
    if dry_run:
        if view != "quiet":
            out += _file_lines(package, view)
            out.append("nothing was written")
        screen.write(out)
        return
    if view != "quiet":
        if written:
            out += screen.wrap(f"also written to {written}")
        out += screen.wrap(f"push it with: git push origin {branch}")
    screen.write(out)


def _headline(
    package: Package, branch: str, made: str | None, dry_run: bool, unchanged: bool
) -> str:
    """What the deploy did, in one line."""
    version = package.version or "(unversioned)"
    size = f"{counted(package.count, 'file')}, {package.bytes:,} bytes"
    if dry_run:
        return f"dry run: {package.name} {version} would ship {size} on {branch}"
    assert made is not None
    if unchanged:
        return (
            f"unchanged: {branch} already holds {package.name} {version} at {made[:12]}; "
            "no new commit"
        )
    return f"deployed {package.name} {version}: {size} on {branch} at {made[:12]}"


LISTED = 40  # a dry run lists up to this many files; beyond, a count per top-level folder


def _file_lines(package: Package, view: View) -> list[str]:
    """The files a dry run would ship: every one with -v or when few, else per folder."""
    paths = [f.path for f in package.files]
    if view == "verbose" or len(paths) <= LISTED:
        out = [f"  {path}" for path in paths]
    else:
        folders: dict[str, int] = {}
        for path in paths:
            top, slash, _ = path.partition("/")
            key = top + "/" if slash else "(top level)"
            folders[key] = folders.get(key, 0) + 1
        out = [f"  {folder} {counted(n, 'file')}" for folder, n in folders.items()]
        out.append("  (-v lists every file)")
    return out + [f"  {path} (generated)" for path in package.generated]
