"""Plugins loaded by name (``wiring.registries``): import each entry module and each registry
module and call the registry's callable, in the import worker, in a place of its own, and tell
what that run loaded.

The wired layer passes a feature whose module the run imported (:mod:`lockgate.layers.wired`);
every file the run read, folder it listed and probe it made becomes an extra of each wired
result judged with it, so a change to any of them runs the registries again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from lockgate.execution.child.construction import CALL
from lockgate.execution.sandbox import Sandbox
from lockgate.execution.worker import ModuleOutcome, Request, run_modules
from lockgate.keys.extras import Observed
from lockgate.layers import wired
from lockgate.layers.base import Context


def run_registries(
    ctx: Context, sandbox: Sandbox, jobs: int, pycache: Path | None
) -> tuple[wired.Run, Observed]:
    """Import every entry module, then run every registry; what the wired layer reads, and
    what the run observed."""
    registries = ctx.project.config.wiring.registries
    # an entry module may load plugins by name as it is imported: what it loads counts too
    calls: dict[str, list[tuple[str, str | None]]] = {
        m: [] for m in wired.entry_modules(ctx) if ctx.module_file(m) is not None
    }
    for registry in registries:
        module, _, call = registry.partition(":")
        name, paren, args = call.partition("(")
        calls.setdefault(module, [])
        if name:
            calls[module].append((name, paren + args if paren else CALL))
    project = ctx.project
    outcomes = run_modules(
        project.root,
        project.sys_path(),
        [Request(m, tuple(c)) for m, c in calls.items()],
        project.config.timeout,
        jobs,
        pycache=pycache,
        files=project.python_files,
        place=sandbox.place("wiring"),
    )
    return _summed(registries, outcomes)


def _summed(
    registries: Sequence[str], outcomes: Mapping[str, ModuleOutcome]
) -> tuple[wired.Run, Observed]:
    files: list[str] = []
    lists: list[str] = []
    probes: list[list[str]] = []
    failures = []
    for module, outcome in outcomes.items():
        for name, step in [("", outcome.imported), *outcome.classes.items()]:
            files += step.loaded
            lists += step.lists
            probes += step.probes
            if not step.ok:
                failures.append(
                    f"{module}:{name}: {step.detail}" if name else f"{module}: {step.detail}"
                )
    run = wired.Run(tuple(registries), frozenset(files), tuple(failures))
    return run, Observed(files, lists, probes)
