"""imported: ``import module`` succeeds in an isolated worker within ``timeout``."""

from __future__ import annotations

from lockgate.layers.base import Context, Inputs
from lockgate.model import Feature

NAME = "imported"
VERSION = 1


def inputs(ctx: Context, feature: Feature) -> Inputs:
    """The module's import closure (package ``__init__`` files included) and declared inputs."""
    cfg = ctx.project.config
    parts = (ctx.graph.closure(feature.path), ctx.declared)
    return Inputs(parts, {"feature": feature.id, "src": cfg.src, "timeout": cfg.timeout})
