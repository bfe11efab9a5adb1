"""What a deploy did, after the feature table: the gates, then the package, on the console,
in JSON and as GitHub's last line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console

from lockgate.report.console import View, print_align
from lockgate.report.gates import print_gates
from lockgate.report.screen import Screen
from lockgate.words import counted

if TYPE_CHECKING:
    from lockgate.pipeline.deploy import Deployment

__all__ = ["deploy_json", "github_lines", "print_deploy"]

LISTED = 40  # a dry run lists up to this many files; beyond, a count per top-level folder


def deploy_json(done: Deployment, data: dict[str, Any]) -> dict[str, Any]:
    """Align's JSON object with the gates, the package and whether it was deployed."""
    package = done.package
    data["gates"] = [vars(g) for g in done.gates]
    data["package"] = {
        "branch": done.branch,
        "commit": done.made,
        "version": package.version,
        "files": package.count,
        "bytes": package.bytes,
        "out": done.written,
        "dirty": package.source.dirty,
        "base": package.source.commit if package.source.dirty else None,
        "unchanged": done.unchanged,
        "notes": package.notes,
        "error": str(done.failed) if done.failed is not None else None,
    }
    data["deployed"] = done.made is not None and done.failed is None
    return data


def github_lines(done: Deployment) -> list[str]:
    """The headline after GitHub's summary, when the deploy went through."""
    return [] if done.blocked or done.failed is not None else [_headline(done)]


def print_deploy(done: Deployment, screen: Screen, view: View) -> None:
    """The feature table, the gates (not with ``-q``), then what was (or would be) shipped."""
    print_align(done.result, screen, view)
    if view != "quiet":
        print_gates(done.gates, Console())
    if not done.blocked and done.failed is None:
        _print_package(done, screen, view)


def _print_package(done: Deployment, screen: Screen, view: View) -> None:
    """What was (or would be) shipped; ``-q`` prints only the line that says so."""
    package = done.package
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
    out += screen.wrap(_headline(done))
    if done.dry_run:
        if view != "quiet":
            out += _file_lines(done, view)
            out.append("nothing was written")
        screen.write(out)
        return
    if view != "quiet":
        if done.written:
            out += screen.wrap(f"also written to {done.written}")
        out += screen.wrap(f"push it with: git push origin {done.branch}")
    screen.write(out)


def _headline(done: Deployment) -> str:
    """What the deploy did, in one line."""
    package = done.package
    version = package.version or "(unversioned)"
    size = f"{counted(package.count, 'file')}, {package.bytes:,} bytes"
    if done.dry_run:
        return f"dry run: {package.name} {version} would ship {size} on {done.branch}"
    assert done.made is not None
    if done.unchanged:
        return (
            f"unchanged: {done.branch} already holds {package.name} {version} at "
            f"{done.made[:12]}; no new commit"
        )
    return f"deployed {package.name} {version}: {size} on {done.branch} at {done.made[:12]}"


def _file_lines(done: Deployment, view: View) -> list[str]:
    """The files a dry run would ship: every one with -v or when few, else per folder."""
    paths = [f.path for f in done.package.files]
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
    return out + [f"  {path} (generated)" for path in done.package.generated]
