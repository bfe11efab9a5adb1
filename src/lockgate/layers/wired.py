"""wired: named by an entry point, referenced from an entry module's closure, or in a map file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from lockgate.layers.base import CLI, Context, Inputs
from lockgate.model import Feature
from lockgate.project.discover import matches

NAME = "wired"
VERSION = 1
RUN = "wired.run"  # the memo of this run's registry run (execution/execute.py)
RUNS_IN = CLI  # judged from the import graph and entry points
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def entry_points(pyproject: dict[str, Any]) -> dict[str, str]:
    """Every entry point of ``[project]``: name → ``module:attr`` target."""
    project = pyproject.get("project", {})
    targets: dict[str, str] = {}
    for table in ("scripts", "gui-scripts"):
        targets.update(project.get(table, {}))
    for group, entries in project.get("entry-points", {}).items():
        targets.update({f"{group}:{k}": v for k, v in entries.items()})
    return {k: v for k, v in targets.items() if isinstance(v, str)}


def entry_modules(ctx: Context) -> list[str]:
    """Entry point modules plus ``wiring.entry_modules``, in order, without repeats."""
    targets = entry_points(ctx.project.loaded.pyproject).values()
    found = [t.partition(":")[0].strip() for t in targets]
    return list(dict.fromkeys([*found, *ctx.project.config.wiring.entry_modules]))


def _references(ctx: Context) -> dict[str, tuple[frozenset[str], dict[str, set[str]]]]:
    """Per existing entry module: its closure, and name → closure files that use the name."""
    found = ctx.memo.get(NAME)
    if found is None:
        found = {}
        for module in entry_modules(ctx):
            path = ctx.module_file(module)
            if path is None:
                continue
            closure = ctx.graph.closure(path)
            index: dict[str, set[str]] = {}
            for file in closure:
                for name in ctx.facts[file].names:
                    index.setdefault(name, set()).add(file)
            found[module] = (closure, index)
        ctx.memo[NAME] = found
    return found


def reached_from(ctx: Context, feature: Feature) -> list[str]:
    """Entry modules whose import closure holds the feature's module and, in another file,
    names its class."""
    return [
        module
        for module, (closure, index) in _references(ctx).items()
        if feature.path in closure and index.get(feature.name, set()) - {feature.path}
    ]


def inputs(ctx: Context, feature: Feature) -> Inputs:
    """Map files and the feature's own file; the entry point tables; and which entry modules
    reach and name the feature.

    The last is derived from the import and name facts of every file in the entry modules'
    closures (facts are keyed by content), so editing a function body in some feature's file
    does not re-run every feature's wiring, while any change that could rewire one does.
    Missing entry modules are keyed by the files that would create them.
    """
    own = frozenset({feature.path, *ctx.project.config.wiring.maps})
    missing = [m for m in entry_modules(ctx) if ctx.module_file(m) is None]
    parts = (own, *(ctx.module_closure(m) for m in missing))
    config = {
        "feature": feature.id,
        "wiring": ctx.project.config.wiring.model_dump(),
        "entry_points": entry_points(ctx.project.loaded.pyproject),
        "reached_from": reached_from(ctx, feature),
    }
    return Inputs(parts, config)


@cache
def _words(data: bytes) -> frozenset[str]:
    return frozenset(_WORD.findall(data.decode("utf-8", errors="replace")))


def map_words(ctx: Context, path: str) -> frozenset[str]:
    """The identifiers written in one map file (empty when it is absent)."""
    data = ctx.hasher.read(path) if ctx.hasher.hash(path) else None
    return _words(data) if data is not None else frozenset()


@dataclass(frozen=True)
class Run:
    """What importing the registries and calling them loaded (``wiring.registries``, run by
    :mod:`lockgate.execution.wiring`): the project files, and what failed."""

    registries: tuple[str, ...]
    files: frozenset[str]
    failures: tuple[str, ...]


def judge(ctx: Context, feature: Feature) -> tuple[bool, str]:
    """Pass on the first way the feature is wired; otherwise list where it was looked for."""
    for name, target in entry_points(ctx.project.loaded.pyproject).items():
        module, _, attr = target.partition(":")
        if module.strip() == feature.module and attr.strip().split(".")[0] == feature.name:
            return True, f"entry point {name}"
    modules = entry_modules(ctx)
    reached = reached_from(ctx, feature)
    if reached:
        return True, reached[0]
    for path in ctx.project.config.wiring.maps:
        if feature.name in map_words(ctx, path):
            return True, path
    run: Run | None = ctx.memo.get(RUN)
    if run is not None and feature.path in run.files:
        return True, f"loaded by name by {', '.join(run.registries)}"
    maps = ctx.project.config.wiring.maps
    detail = (
        "not named by an entry point, not referenced from "
        + (f"an entry module ({', '.join(modules)})" if modules else "any entry module (none set)")
        + ", not in "
        + (f"a map file ({', '.join(maps)})" if maps else "any map file (none set)")
    )
    if run is not None:
        detail += f", not loaded by {', '.join(run.registries)}"
        if run.failures:
            detail += f" (which failed: {'; '.join(run.failures)})"
    return False, detail


def orphans(ctx: Context) -> list[str]:
    """Names in map files that look like features but name no discovered class."""
    known = {f.name for f in ctx.features}
    patterns = [p for t in ctx.project.config.features for p in t.classes if p.strip("*")]
    found: set[str] = set()
    for path in ctx.project.config.wiring.maps:
        for word in map_words(ctx, path):
            if word[:1].isupper() and word not in known and matches(word, patterns):
                found.add(word)
    return sorted(found)
