"""cleanup: what nothing uses, judged from a whole run's stored observations.

Four kinds, each item with the reason it was judged unused:

- ``guide``: a file the guide templates' folders hold that is the guide of no feature;
- ``wiring``: a name in a wiring map file that looks like a feature and names none;
- ``module``: a module under ``src`` that no result depends on (no feature's import, test run,
  wiring or registry run loaded it) and no entry module's imports reach;
- ``test``: a test file that owns no feature and in which no test ran.

``apply`` runs ``git rm`` on the tracked files among them (never a commit) and refuses on a
tree with uncommitted changes to tracked files.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path

from lockgate import git
from lockgate.commands.options import Options
from lockgate.errors import LockgateError
from lockgate.layers import documented, wired
from lockgate.model import AlignResult
from lockgate.pipeline.align import align
from lockgate.pipeline.validate import prepare
from lockgate.project.project import Project

KINDS = ("guide", "wiring", "module", "test")
_PLACEHOLDER = re.compile(r"\{[a-z]+\}")


@dataclass(frozen=True)
class Unused:
    """One thing nothing uses: its kind, where it is, and why it was judged unused."""

    kind: str
    path: str
    why: str
    name: str = ""  # a wiring entry's name (the path is its map file)
    tracked: bool = False  # git tracks the file: --apply removes it


def find(root: Path, options: Options) -> tuple[AlignResult, list[Unused]]:
    """Align (reusing what the store holds), then list what nothing uses."""
    result = align(root, options)
    project = Project.open(root)
    prep = prepare(project, options)
    try:
        ctx = prep.ctx
        reached = {f for m in wired.entry_modules(ctx) for f in ctx.module_closure(m)}
        entries = [
            Unused("wiring", path, f"{path} names {name}, which is no feature", name)
            for path in project.config.wiring.maps
            for name in result.orphans
            if name in wired.map_words(ctx, path)
        ]
    finally:
        if prep.store is not None:
            prep.store.close()
    found = [
        *_guides(project, result),
        *entries,
        *_modules(project, result, reached),
        *_tests(result),
    ]
    files = [u.path for u in found if u.kind != "wiring"]
    kept = git.tracked(root, files) if git.work_tree(root) is not None else set()
    return result, [
        Unused(u.kind, u.path, u.why, u.name, u.kind != "wiring" and u.path in kept) for u in found
    ]


def _guides(project: Project, result: AlignResult) -> list[Unused]:
    templates = project.config.docs.guides
    wanted = {g for r in result.features for g in documented.guides_of(templates, r.feature)}
    out = []
    for template in templates:
        pattern = _PLACEHOLDER.sub("*", template)
        for path in sorted(glob.glob(pattern, root_dir=project.root, recursive=True)):
            if path not in wanted and (project.root / path).is_file():
                out.append(
                    Unused(
                        "guide",
                        path,
                        f"matches the guide template {template} but is the guide of no feature",
                    )
                )
    return list({u.path: u for u in out}.values())


def _modules(project: Project, result: AlignResult, reached: set[str]) -> list[Unused]:
    tests = set(project.test_files) | set(project.conftests)
    roots = [s.rstrip("/") + "/" for s in project.config.src]
    return [
        Unused(
            "module",
            path,
            "no feature's import, test run, wiring or registry run loaded it, and no entry "
            "module imports it",
        )
        for path in sorted(project.python_files)
        if path.startswith(tuple(roots))
        and path not in tests
        and path not in result.inputs
        and path not in reached
    ]


def _tests(result: AlignResult) -> list[Unused]:
    return [
        Unused(
            "test",
            s.path,
            f"owns no feature, and no test ran in it ({s.detail.removeprefix('no test ran (')}",
        )
        for s in result.suite
        if s.passed and s.detail.startswith("no test ran")
    ]


def require_clean(root: Path) -> None:
    """Refuse a repository whose tracked files have uncommitted changes (or no repository)."""
    if git.work_tree(root) is None:
        raise LockgateError(
            f"{root} is not inside a git repository; `cleanup --apply` removes files with "
            "git rm, so it needs one (the dry run does not)"
        )
    if git.is_dirty(root):
        raise LockgateError(
            "tracked files have uncommitted changes; commit or stash them before "
            "`cleanup --apply`, so that its removals stand alone"
        )


def apply(root: Path, items: list[Unused]) -> list[str]:
    """``git rm`` the tracked files among ``items``; the paths removed."""
    require_clean(root)
    paths = [u.path for u in items if u.tracked]
    git.remove(root, paths)
    return paths
