"""The branch commit of a package: its generated files (``SETUP.md``, ``package-info.json``),
then one commit on the deploy branch, moved by compare-and-swap; none when nothing changed."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lockgate import __version__, git
from lockgate.deploy.gates import GateResult
from lockgate.deploy.package.inspect import INFO, SETUP, Package, Source
from lockgate.errors import LockgateError
from lockgate.model import AlignResult

__all__ = ["commit", "finish", "render_setup"]

_PIP_INSTALL = ("python -m venv .venv", ". .venv/bin/activate", "python -m pip install .")


def finish(package: Package, result: AlignResult, gates: list[GateResult]) -> None:
    """Generate ``SETUP.md`` and ``package-info.json`` (whose manifest lists SETUP.md too)."""
    setup = render_setup(package).encode()
    manifest = {f.path: {"sha256": f.sha256, "size": f.size} for f in package.files}
    manifest[SETUP] = {"sha256": hashlib.sha256(setup).hexdigest(), "size": len(setup)}
    source = package.source
    origin: dict[str, Any] = {"commit": None if source.dirty else source.commit}
    origin["dirty"] = source.dirty
    if source.dirty:
        origin["base"] = source.commit
    info = {
        "name": package.name,
        "version": package.version,
        **origin,
        "lockgate": __version__,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "features": [
            {
                "id": f.feature.id,
                "kind": f.feature.kind,
                "internal": f.feature.internal,
                "score": f.score,
                "status": f.status,
            }
            for f in result.features
        ],
        "gates": [vars(g) for g in gates],
        "manifest": dict(sorted(manifest.items())),
    }
    package.generated = {SETUP: setup, INFO: (json.dumps(info, indent=2) + "\n").encode()}


def render_setup(package: Package) -> str:
    """How to install and run this package, from the committed ``[project]`` metadata."""
    project: dict[str, Any] = package.metadata.get("project", {})
    version = package.version or "(unversioned)"
    lines = [f"# {package.name} {version}", ""]
    if project.get("description"):
        lines += [str(project["description"]), ""]
    lines += [
        f"Deploy package built by lockgate {__version__} from {_origin(package.source)}.",
        f"`{INFO}` lists every file with its sha256.",
        "",
        "## Install",
        "",
    ]
    if project.get("requires-python"):
        lines += [f"Requires Python {project['requires-python']}.", ""]
    if project or "build-system" in package.metadata:
        lines += ["```sh", *_PIP_INSTALL, "```", ""]
    elif any(f.path == "requirements.txt" for f in package.files):
        lines += ["```sh", "python -m pip install -r requirements.txt", "```", ""]
    else:
        lines += ["This project declares no `[project]` table and no requirements.txt.", ""]
    if project.get("dependencies"):
        lines += ["Dependencies:", "", *(f"- `{d}`" for d in project["dependencies"]), ""]
    for extra, deps in project.get("optional-dependencies", {}).items():
        lines += [f'Extra `{extra}` (`pip install ".[{extra}]"`): {", ".join(deps)}', ""]
    lines += ["## Run", ""]
    scripts = {**project.get("scripts", {}), **project.get("gui-scripts", {})}
    if scripts:
        lines += [f"- `{name}` runs `{target}`" for name, target in scripts.items()] + [""]
    else:
        lines += ["This project declares no `[project.scripts]`; import it from Python.", ""]
    return "\n".join(lines)


def _origin(source: Source) -> str:
    if source.dirty:
        return f"the work tree on commit `{source.commit}` (uncommitted changes included)"
    return f"commit `{source.commit}`"


def commit(root: Path, package: Package, branch: str) -> str:
    """Commit the package on ``branch`` (an orphan root first, then on top); return the commit.

    When the package equals the branch tip's (``package-info.json`` aside from its ``time``),
    the branch stays where it is and the tip is returned: a no-change deploy adds no commit.
    """
    parent = git.branch_commit(root, branch)
    if parent is not None:
        _keep_previous_info(root, package, parent)
    _write_work_tree_blobs(root, package)
    entries = [(f.mode, f.sha, f.path) for f in package.files]
    entries += [("100644", git.hash_object(root, data), p) for p, data in package.generated.items()]
    tree = git.write_tree(root, entries)
    if parent is not None and git.tree_of(root, parent) == tree:
        return parent
    source = package.source
    said = (
        f"Base commit: {source.commit} (uncommitted changes included)"
        if source.dirty
        else (f"Source commit: {source.commit}")
    )
    message = f"lockgate deploy: {package.name} {package.version or '(unversioned)'}\n\n{said}\n"
    new = git.commit_tree(root, tree, message, parent)
    git.update_branch(root, branch, new, parent)
    return new


def _keep_previous_info(root: Path, package: Package, parent: str) -> None:
    """Reuse the tip's ``package-info.json`` when only its ``time`` would change."""
    tip = {e.path: e for e in git.ls_tree(root, parent)}
    if INFO not in tip:
        return
    old = git.read_blob(root, tip[INFO].sha)
    try:
        before = json.loads(old)
    except ValueError:
        return
    now = json.loads(package.generated[INFO])
    if isinstance(before, dict) and {**before, "time": None} == {**now, "time": None}:
        package.generated[INFO] = old


def _write_work_tree_blobs(root: Path, package: Package) -> None:
    """Write the blobs of work-tree files the object store does not hold yet."""
    if not package.source.dirty:
        return
    missing = git.missing_objects(root, [f.sha for f in package.files])
    for f in package.files:
        if f.sha in missing:
            written = git.hash_object(root, package.source.data[f.path])
            if written != f.sha:  # the id was computed here from the bytes: git must agree
                raise LockgateError(f"git stored {f.path} as {written}, expected {f.sha}")
            missing.discard(f.sha)
