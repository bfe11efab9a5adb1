"""Exemptions that expire (policy/exemptions.py): dates, matching, rescoring, warnings."""

from __future__ import annotations

from datetime import date

from lockgate.model import LAYERS, AlignResult, Feature, FeatureResult, LayerResult
from lockgate.policy.exemptions import apply
from lockgate.project.config import Exempt, Weights


def _result(*failed: str) -> AlignResult:
    feature = Feature(
        "shop.legacy.LegacyService",
        "LegacyService",
        "service",
        "shop.legacy",
        "src/shop/legacy.py",
        1,
        False,
    )
    layers = {name: LayerResult(name not in failed, "no tests", 0.0) for name in LAYERS}
    return AlignResult("/p", 95, [FeatureResult(feature, layers, 83, "warning")], [], 0, 0, 0.0)


def _exempt(feature: str = "LegacyService", layer: str = "tested") -> Exempt:
    return Exempt.model_validate(
        {"feature": feature, "layer": layer, "until": "2027-03-31", "reason": "SHOP-12"}
    )


def test_an_exemption_holds_through_its_date_then_lapses() -> None:
    held = _result("tested")
    assert apply(held, [_exempt()], date(2027, 3, 31), Weights()) == []
    row = held.features[0]
    assert row.score == 100 and row.status == "healthy"
    assert row.layers["tested"].exemption is not None
    assert row.layers["tested"].exemption.describe() == "exempt until 2027-03-31"
    assert not row.layers["tested"].passed

    lapsed = _result("tested")
    apply(lapsed, [_exempt()], date(2027, 4, 1), Weights())
    row = lapsed.features[0]
    assert row.score == 83
    assert row.layers["tested"].exemption is not None
    assert row.layers["tested"].exemption.describe() == "exemption lapsed on 2027-03-31"


def test_a_feature_is_named_by_id_name_or_pattern_and_a_passed_layer_is_left_alone() -> None:
    for name in ("shop.legacy.LegacyService", "LegacyService", "shop.legacy.*"):
        run = _result("tested")
        apply(run, [_exempt(name)], date(2027, 1, 1), Weights())
        assert run.features[0].score == 100, name
    passed = _result()
    apply(passed, [_exempt()], date(2027, 1, 1), Weights())
    assert passed.features[0].layers["tested"].exemption is None


def test_an_exemption_for_nothing_is_a_warning() -> None:
    run = _result("tested")
    warnings = apply(
        run, [_exempt("GoneService"), _exempt(layer="optimized")], date(2027, 1, 1), Weights()
    )
    assert warnings == [
        "exemption for GoneService (tested) names no feature; remove it",
        "exemption for LegacyService (optimized): no such layer was judged; remove it",
    ]
    assert run.features[0].score == 83
