"""instantiated: ``Class()`` or its configured factory returns within ``timeout``."""

from __future__ import annotations

import fnmatch
import re

from lockgate.execution.worker import ModuleOutcome, Outcome
from lockgate.layers.base import WORKER, Context, Inputs
from lockgate.model import Feature

NAME = "instantiated"
VERSION = 1
RUNS_IN = WORKER  # the import worker constructs the class


def factory_of(ctx: Context, feature: Feature) -> str | None:
    """The configured factory (``module:function``) for ``feature``, if any: the entry keyed
    on its id, else the most specific fnmatch pattern that matches the id (see ``_specificity``)."""
    return factory_in(ctx.project.config.instantiate, feature.id)


def factory_in(table: dict[str, str], feature_id: str) -> str | None:
    """The factory ``table`` (``[tool.lockgate.instantiate]``) gives for ``feature_id``."""
    if feature_id in table:
        return table[feature_id]
    patterns = [k for k in table if _WILDCARD.search(k) and fnmatch.fnmatchcase(feature_id, k)]
    return table[max(patterns, key=_specificity)] if patterns else None


_WILDCARD = re.compile(r"[*?\[]")


def _specificity(pattern: str) -> tuple[int, int, str]:
    """Longest literal prefix first, then fewest wildcards; the pattern itself breaks ties, so
    the choice never depends on the table's order."""
    first = _WILDCARD.search(pattern)
    prefix = first.start() if first else len(pattern)
    return prefix, -len(_WILDCARD.findall(pattern)), pattern


def inputs(ctx: Context, feature: Feature) -> Inputs:
    """The import closure plus the factory module's closure."""
    cfg = ctx.project.config
    parts: tuple[frozenset[str], ...] = (ctx.graph.closure(feature.path), ctx.declared)
    factory = factory_of(ctx, feature)
    if factory:
        parts += (ctx.module_closure(factory.partition(":")[0]),)
    config = {"feature": feature.id, "src": cfg.src, "timeout": cfg.timeout, "factory": factory}
    return Inputs(parts, config)


def step(outcome: ModuleOutcome, feature: Feature) -> Outcome:
    """The worker's verdict on constructing the feature's class."""
    return outcome.classes[feature.name]
