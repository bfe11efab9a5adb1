"""instantiated: ``Class()`` or its configured factory returns within ``timeout``."""

from __future__ import annotations

from lockgate.layers.base import Context, Inputs
from lockgate.model import Feature

NAME = "instantiated"
VERSION = 1


def factory_of(ctx: Context, feature: Feature) -> str | None:
    """The configured factory (``module:function``) for ``feature``, if any."""
    return ctx.project.config.instantiate.get(feature.id)


def inputs(ctx: Context, feature: Feature) -> Inputs:
    """The import closure plus the factory module's closure."""
    cfg = ctx.project.config
    parts: tuple[frozenset[str], ...] = (ctx.graph.closure(feature.path), ctx.declared)
    factory = factory_of(ctx, feature)
    if factory:
        parts += (ctx.module_closure(factory.partition(":")[0]),)
    config = {"feature": feature.id, "src": cfg.src, "timeout": cfg.timeout, "factory": factory}
    return Inputs(parts, config)
