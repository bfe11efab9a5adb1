"""discovered: a concrete class matches a feature table."""

from __future__ import annotations

from lockgate.layers.base import Context, Inputs
from lockgate.model import Feature

NAME = "discovered"
VERSION = 1


def inputs(ctx: Context, feature: Feature) -> Inputs:
    """The feature's own file and the feature tables."""
    tables = [t.model_dump() for t in ctx.project.config.features]
    return Inputs((frozenset({feature.path}),), {"feature": feature.id, "tables": tables})


def judge(ctx: Context, feature: Feature) -> tuple[bool, str]:
    """A discovered feature passes by being found: the scan ran on the inputs keyed above."""
    return True, f"{feature.path}:{feature.line}"
