"""The integration score and status (layers/scoring.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lockgate.layers.scoring import HEALTHY, WARNING, score, status
from lockgate.model import LAYERS, LayerResult
from lockgate.project.config import Weights


def verdicts(passed: dict[str, bool]) -> dict[str, LayerResult]:
    """Layer results passing or failing as ``passed`` says."""
    return {name: LayerResult(ok, "", 0.0) for name, ok in passed.items()}


def test_all_passed_is_100_and_one_failure_costs_its_weight() -> None:
    assert score(verdicts(dict.fromkeys(LAYERS, True)), Weights()) == 100
    assert score(verdicts({**dict.fromkeys(LAYERS, True), "tested": False}), Weights()) == 83
    assert score(verdicts({**dict.fromkeys(LAYERS, True), "wired": False}), Weights()) == 84
    assert score(verdicts(dict.fromkeys(LAYERS, False)), Weights()) == 0


def test_only_layers_that_ran_count_and_scale_to_100() -> None:
    assert score(verdicts({"discovered": True, "imported": False}), Weights()) == 50
    assert score(verdicts({"discovered": True}), Weights()) == 100
    assert score({}, Weights()) == 0
    # a layer without a weight does not count: optimized, unless weighted
    run = verdicts({"discovered": True, "optimized": False})
    assert score(run, Weights()) == 100
    assert score(run, Weights(optimized=17)) == 50


def test_a_zero_weight_layer_does_not_count() -> None:
    weights = Weights(documented=0)
    assert score(verdicts({"discovered": True, "documented": False}), weights) == 100
    assert score(verdicts({"documented": True}), weights) == 0


def test_status_thresholds() -> None:
    assert (HEALTHY, WARNING) == (90, 70)
    assert [status(v) for v in (100, 90, 89.9, 70, 69.5, 0)] == [
        "healthy",
        "healthy",
        "warning",
        "warning",
        "critical",
        "critical",
    ]


@settings(max_examples=60, deadline=None)
@given(
    passed=st.fixed_dictionaries({name: st.booleans() for name in LAYERS}),
    weights=st.fixed_dictionaries({name: st.integers(0, 50) for name in LAYERS}),
    extra=st.sampled_from(LAYERS),
)
def test_score_is_bounded_and_passing_more_never_lowers_it(
    passed: dict[str, bool], weights: dict[str, int], extra: str
) -> None:
    if not any(weights.values()):
        weights["discovered"] = 1
    table = Weights(**weights)
    before = score(verdicts(passed), table)
    after = score(verdicts({**passed, extra: True}), table)
    assert 0 <= before <= after <= 100
