"""The optimized layer, lockgate optimize, and --jobs giving the same verdicts as --jobs 1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Run, lockgate

PERF_KEYS = {
    "score",
    "passed",
    "import_ms",
    "instantiate_ms",
    "peak_mb",
    "cached",
    "expires",
    "detail",
}


def perf(run: Run, name: str) -> dict[str, Any]:
    assert run.code == 0, run.stderr
    (found,) = [f for f in run.json["features"] if f["name"] == name]
    return dict(found["performance"])


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    from conftest import copy_project, isolated_env

    # isolated like every test: the same key file (and no real home) as the tests that use it
    with isolated_env(tmp_path_factory):
        root = copy_project("perf", tmp_path_factory.mktemp("perf"))
        return root, lockgate("align", root, "--json", "--jobs", "2")


def test_performance_is_measured_against_the_budgets(measured: tuple[Path, Run]) -> None:
    _, run = measured
    fast = perf(run, "FastFeature")
    assert set(fast) == PERF_KEYS
    assert fast["passed"] is True and fast["score"] == 100
    assert fast["import_ms"] < 150 and fast["instantiate_ms"] is not None
    slow = perf(run, "SlowImportFeature")
    assert slow["passed"] is False
    assert slow["import_ms"] >= 400
    assert "budget 150" in slow["detail"]
    assert slow["score"] < 50  # 150 ms budget over >= 400 ms measured
    hungry = perf(run, "HungryFeature")
    assert hungry["passed"] is False
    assert hungry["peak_mb"] >= 70
    assert "memory grew" in hungry["detail"]
    bench = perf(run, "BenchFeature")
    assert bench["passed"] is False
    assert "benchmark tests took" in bench["detail"]


def test_performance_stays_out_of_the_score_by_default(measured: tuple[Path, Run]) -> None:
    _, run = measured
    for feature in run.json["features"]:
        assert "optimized" not in feature["layers"]
        assert set(feature["layers"]) == {
            "discovered",
            "imported",
            "instantiated",
            "documented",
            "tested",
            "wired",
        }


def test_a_second_run_reuses_measurements_until_they_expire(measured: tuple[Path, Run]) -> None:
    root, _ = measured
    again = lockgate("align", root, "--json")
    assert perf(again, "FastFeature")["cached"] is True
    assert perf(again, "SlowImportFeature")["import_ms"] >= 400


def test_ttl_zero_re_measures_every_time(project: Any) -> None:
    root = project("perf")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("ttl = 3600", "ttl = 0"))
    lockgate("optimize", root, "--json")
    again = lockgate("optimize", root, "--json")
    assert again.code == 0, again.stderr
    assert all(f["performance"]["cached"] is False for f in again.json["features"])


def test_weight_joins_performance_into_the_score(project: Any) -> None:
    root = project("perf")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.lockgate.weights]\noptimized = 20\n")
    run = lockgate("align", root, "--json")
    assert run.code == 0, run.stderr
    by_name = {f["name"]: f for f in run.json["features"]}
    assert by_name["FastFeature"]["layers"]["optimized"]["passed"] is True
    assert by_name["SlowImportFeature"]["layers"]["optimized"]["passed"] is False
    # default weights sum to 100; with optimized = 20 the slow import loses 20/120 of the score
    fast, slow = by_name["FastFeature"], by_name["SlowImportFeature"]
    passed = {layer for layer, v in slow["layers"].items() if v["passed"]}
    weights = {
        "discovered": 17,
        "imported": 17,
        "instantiated": 16,
        "documented": 17,
        "tested": 17,
        "wired": 16,
        "optimized": 20,
    }
    assert slow["score"] == round(100 * sum(weights[p] for p in passed) / 120)
    assert fast["score"] > slow["score"]


def test_optimize_lists_only_performance(project: Any) -> None:
    root = project("perf")
    run = lockgate("optimize", root, "--json")
    assert run.code == 0, run.stderr
    for feature in run.json["features"]:
        assert "layers" not in feature
        assert set(feature["performance"]) == PERF_KEYS
    assert run.json["summary"]["passed"] == 1
    table = lockgate("optimize", root)
    assert table.code == 0
    assert table.stdout.index("SlowImportFeature") < table.stdout.index("FastFeature")


def test_jobs_do_not_change_verdicts(project: Any) -> None:
    root = project("defects")

    def verdicts(run: Run) -> dict[tuple[str, str], tuple[bool, str]]:
        assert run.code == 0, run.stderr
        return {
            (f["id"], layer): (v["passed"], v["detail"])
            for f in run.json["features"]
            for layer, v in f["layers"].items()
        }

    one = lockgate("align", root, "--json", "--no-cache", "--jobs", "1")
    two = lockgate("align", root, "--json", "--no-cache", "--jobs", "3")
    assert verdicts(one) == verdicts(two)
    assert len(verdicts(one)) == 17 * 6
