"""imported: ``import module`` succeeds in an isolated worker within ``timeout``."""

from __future__ import annotations

from lockgate.execution.worker import ModuleOutcome, Outcome
from lockgate.layers.base import WORKER, Context, Inputs
from lockgate.model import Feature

NAME = "imported"
VERSION = 1
RUNS_IN = WORKER  # the import worker imports the module


def inputs(ctx: Context, feature: Feature) -> Inputs:
    """The module's import closure (package ``__init__`` files included) and declared inputs."""
    cfg = ctx.project.config
    parts = (ctx.graph.closure(feature.path), ctx.declared)
    return Inputs(parts, {"feature": feature.id, "src": cfg.src, "timeout": cfg.timeout})


def step(outcome: ModuleOutcome, feature: Feature) -> Outcome:
    """The worker's verdict on importing the feature's module."""
    return outcome.imported
