"""Which stored failures a deploy runs again before they block (see "Stored failures are
re-checked before they block" in docs/design.md)."""

from __future__ import annotations

from collections.abc import Callable

from lockgate.keys.plan import SUITE_LAYER, Planned, layer_module
from lockgate.layers import optimized, tested
from lockgate.layers.base import CLI, Context
from lockgate.layers.scoring import score
from lockgate.model import LAYERS, LayerResult


def worth_rechecking(
    ctx: Context, planned: list[Planned], new_code: bool
) -> Callable[[Planned], bool]:
    """Whether a planned item's failed result is one a deploy gate would block on, and one
    whose pass could lift the block: a layer judged in this process is a function of the tree
    (a re-check gives the same), and a feature the integration gate alone counts is re-checked
    only if passing every failed layer that runs its code brings it to the threshold, and only
    if it could be under the threshold at all (``new_code``: the new-code gate, which blocks a
    feature whose score dropped even above the threshold, so every feature could block)."""
    # lazy: the gates module brings the secret scan's imports, which only a deploy needs; an
    # align's full path (this module) never asks
    from lockgate.deploy.gates import counts_failure, is_test_failure

    config = ctx.project.config
    internal = {f.id: f.internal for f in ctx.features}
    scored = (*LAYERS, optimized.NAME) if config.weights.optimized is not None else LAYERS
    mine: dict[str, list[Planned]] = {}
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

    def counts(item: Planned) -> bool:
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
