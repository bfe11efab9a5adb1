"""The score history as data (policy/history.py): records, compaction, changes."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

from lockgate.model import LAYERS, Feature, FeatureResult, LayerResult
from lockgate.policy.history import Point, changes, decode, encode, to_drop

DAY = 86400.0
NOW = datetime(2027, 3, 31, 12, tzinfo=UTC).timestamp()


def _row(name: str, score: int, failed: str = "") -> FeatureResult:
    feature = Feature(f"shop.{name}", name, "service", "shop", "shop.py", 1, False)
    layers = {n: LayerResult(n != failed, "", 0.0) for n in LAYERS}
    return FeatureResult(feature, layers, score, "healthy")


def test_a_record_round_trips_scores_and_verdicts() -> None:
    point = decode("abc", NOW, encode([_row("Cart", 83, "tested"), _row("Shop", 100)]))
    assert point is not None
    assert point.scores == {"shop.Cart": (83, "111101-"), "shop.Shop": (100, "111111-")}
    assert point.mean == 91.5


def test_an_unreadable_or_foreign_record_is_none() -> None:
    assert decode("abc", NOW, b"not zlib") is None
    assert decode("abc", NOW, zlib.compress(b'{"v": 99, "f": {}}')) is None
    assert decode("abc", NOW, zlib.compress(b'{"v": 1, "f": {"x": 5}}')) is None


def test_compaction_keeps_two_weeks_whole_then_a_day_then_a_week() -> None:
    stamps = []
    for day in range(800):
        for n in range(3):  # three commits a day, the last of the day newest
            stamps.append((f"d{day}-{n}", NOW - day * DAY - (2 - n) * 60))
    dropped = set(to_drop(stamps, NOW))
    kept = [c for c, _ in stamps if c not in dropped]
    assert all(f"d{day}-{n}" in kept for day in range(14) for n in range(3))
    assert [c for c in kept if c.startswith("d40-")] == ["d40-2"]  # the newest of its day
    daily = [c for c in kept if 14 < int(c[1:].split("-")[0]) <= 89]
    assert len(daily) == 89 - 14
    old = [c for c in kept if 90 < int(c[1:].split("-")[0]) <= 730]
    assert 90 <= len(old) <= 96  # one a week over ~91 weeks
    assert not [c for c in kept if int(c[1:].split("-")[0]) > 731]


def test_changes_flag_new_features_and_drops_against_the_previous_record() -> None:
    older = Point("a", NOW - 2 * DAY, {"shop.Cart": (100, "")})
    previous = Point("b", NOW - DAY, {"shop.Cart": (100, ""), "shop.Shop": (83, "")})
    found = changes([older, previous], [_row("Cart", 83), _row("Shop", 100), _row("New", 50)])
    assert found["shop.Cart"].scores == [100, 100, 83]
    assert found["shop.Cart"].dropped == 17 and not found["shop.Cart"].new
    assert found["shop.Shop"].dropped == 0
    assert found["shop.New"].new and found["shop.New"].scores == [50]
    assert not changes([], [_row("New", 50)])["shop.New"].new  # nothing to compare with
