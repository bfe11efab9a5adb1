"""Which stored failures a deploy runs again before they block (see "Stored failures are
re-checked before they block" in docs/design.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from lockgate.keys.plan import SUITE_LAYER, Planned, layer_module
from lockgate.layers import optimized, tested
from lockgate.layers.base import CLI, Context
from lockgate.layers.scoring import score
from lockgate.model import LAYERS, AlignResult, LayerResult
from lockgate.project.config import Config


class Judged(Protocol):
    """A result a deploy may re-check: a planned item (keys/plan.py) or a served one."""

    @property
    def owner(self) -> str: ...  # feature id, or a test file for the suite layer

    @property
    def layer(self) -> str: ...

    @property
    def result(self) -> LayerResult | None: ...


Item = TypeVar("Item", bound=Judged)


@dataclass(frozen=True)
class Served:
    """One result of a run the no-change path served, as :func:`worth_rechecking` reads it."""

    owner: str
    layer: str
    result: LayerResult | None


def any_worth_rechecking(config: Config, served: AlignResult, new_code: bool) -> bool:
    """Whether the full path would re-check one of ``served``'s failures: if not, it would
    serve every result as stored, and the no-change path's run is that run."""
    items = [
        Served(f.feature.id, name, layer)
        for f in served.features
        for name, layer in f.layers.items()
    ] + [
        Served(s.path, SUITE_LAYER, LayerResult(s.passed, s.detail, s.seconds))
        for s in served.suite
    ]
    internal = {f.feature.id: f.feature.internal for f in served.features}
    counts = worth_rechecking(config, internal, items, new_code)
    return any(
        item.result is not None and not item.result.passed and counts(item) for item in items
    )


def rechecked_in_plan(
    ctx: Context, planned: list[Planned], new_code: bool
) -> Callable[[Planned], bool]:
    """:func:`worth_rechecking` for the full path's plan."""
    internal = {f.id: f.internal for f in ctx.features}
    return worth_rechecking(ctx.project.config, internal, planned, new_code)


def worth_rechecking(
    config: Config, internal: Mapping[str, bool], planned: Sequence[Item], new_code: bool
) -> Callable[[Item], bool]:
    """Whether a planned item's failed result is one a deploy gate would block on, and one
    whose pass could lift the block: a layer judged in this process is a function of the tree
    (a re-check gives the same), and a feature the integration gate alone counts is re-checked
    only if passing every failed layer that runs its code brings it to the threshold, and only
    if it could be under the threshold at all (``new_code``: the new-code gate, which blocks a
    feature whose score dropped even above the threshold, so every feature could block)."""
    # lazy: the gates module brings the secret scan's imports, which only a deploy needs; an
    # align's full path (this module) never asks
    from lockgate.deploy.gates import counts_failure, is_test_failure

    scored = (*LAYERS, optimized.NAME) if config.weights.optimized is not None else LAYERS
    mine: dict[str, list[Item]] = {}
    for item in planned:
        if item.layer != SUITE_LAYER:
            mine.setdefault(item.owner, []).append(item)

    def hopeful(owner: str) -> int:
        results = {
            p.layer: p.result
            if p.result.passed or layer_module(p.layer).RUNS_IN == CLI
            else LayerResult(True, "", 0.0)
            for p in mine[owner]
            if p.result is not None and p.layer in scored
        }
        return score(results, config.weights)

    weights: dict[str, int] = {
        name: weight
        for name, weight in config.weights.model_dump().items()
        if weight is not None and name in scored
    }

    def assured(owner: str) -> bool:
        """Whether the feature reaches the threshold even if every result of it not served as
        a pass fails (a failure, a re-check, a result still to run, a layer not planned here):
        the integration gate passes it whatever its re-checks say."""
        if new_code:
            return False
        passed = {p.layer for p in mine[owner] if p.result is not None and p.result.passed}
        earned = sum(weight for name, weight in weights.items() if name in passed)
        total = sum(weights.values())
        return total > 0 and round(100 * earned / total) >= config.threshold

    def counts(item: Item) -> bool:
        result = item.result
        assert result is not None
        suite = item.layer == SUITE_LAYER
        if not counts_failure(
            config, item.layer, internal.get(item.owner, False), result.passed, result.detail, suite
        ):
            return False
        if not suite and layer_module(item.layer).RUNS_IN == CLI:
            return False
        tests_gate = suite or (item.layer == tested.NAME and is_test_failure(False, result.detail))
        if tests_gate and config.gates.tests == "error":
            return True
        return not assured(item.owner) and hopeful(item.owner) >= config.threshold

    return counts
