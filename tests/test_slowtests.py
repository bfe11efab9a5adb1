"""Slow, hanging and flaky test files (issue 11): timeouts are stored as load-dependent
failures, a timeout re-runs only the files that had not finished, and ``retries`` tells a
flaky pass from a failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import copy_project, lockgate


def _rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every result row of an align's JSON: each feature's layers and each suite file."""
    return [layer for f in data["features"] for layer in f["layers"].values()] + data["suite"]


def test_timeouts_are_stored_marked_and_retried(tmp_path: Path) -> None:
    root = copy_project("slowtests", tmp_path)
    log = tmp_path / "log"
    log.mkdir()
    env = {"SLOWTESTS_LOG": str(log)}

    def align(*flags: str) -> Any:
        run = lockgate("align", root, "--json", "--jobs", "1", *flags, env=env)
        assert run.stdout, run.stderr
        return run

    cold = align()
    slow = cold.layer("SlowPart", "tested")
    assert slow["passed"] is False and slow["load_dependent"] is True, slow
    assert "timed out after 2s" in slow["detail"] and "load-dependent" in slow["detail"]
    (suite,) = cold.json["suite"]
    assert suite["file"] == "tests/test_zz_suite_hang.py"
    assert suite["passed"] is False and suite["load_dependent"] is True
    assert suite["cached"] is False
    misses = cold.json["summary"]["cache"]["misses"]
    assert misses == sum(not row["cached"] for row in _rows(cold.json)) > 0
    # test_fast finished before test_slow hung in the same process: it is not run again
    assert (log / "fast.log").read_text() == "ran\n"
    assert cold.layer("FastPart", "tested")["passed"] is True
    assert "load_dependent" not in cold.layer("FastPart", "tested")
    # test_flaky failed its first run and passed its retry: a pass, reported as flaky
    flaky = cold.layer("FlakyPart", "tested")
    assert flaky["passed"] is True and flaky["flaky"] is True, flaky
    assert "tests/test_flaky.py passed on retry 1 of 1" in flaky["detail"]
    # its test file never imports app.lonely: that is measured, not unmeasurable
    lonely = cold.layer("LonelyPart", "tested")["detail"]
    never = "covers 0.0% of src/app/lonely.py (needs 70%): its tests never import it"
    assert lonely.endswith(never), lonely

    # nothing changed: nothing runs, the timeouts included, and the marks are kept
    again = align()
    assert again.json["summary"]["cache"] == {
        "hits": misses,
        "misses": 0,
        "remote_hits": 0,
        "remote_errors": 0,
    }
    assert all(row["cached"] for row in _rows(again.json))
    assert again.layer("SlowPart", "tested")["load_dependent"] is True
    assert again.json["suite"][0]["load_dependent"] is True
    assert again.layer("FlakyPart", "tested")["flaky"] is True
    table = lockgate("align", root, env=env)
    assert "passed on retry 1 of 1" in table.stdout and "(flaky)" in table.stdout

    retried = align("--retry-failed")
    assert retried.layer("SlowPart", "tested")["cached"] is False
    assert retried.json["suite"][0]["cached"] is False
    assert retried.layer("FastPart", "tested")["cached"] is True  # a pass is never affected
    assert (log / "fast.log").read_text() == "ran\n"

    # once older than retry_load_dependent_after, a load-dependent failure runs again
    config = root / "pyproject.toml"
    config.write_text(
        config.read_text().replace("retries = 1", "retries = 1\nretry_load_dependent_after = 0")
    )
    aged = align()
    assert aged.layer("SlowPart", "tested")["cached"] is False
    assert aged.layer("SlowPart", "tested")["load_dependent"] is True
    assert aged.json["suite"][0]["cached"] is False
    assert aged.layer("FastPart", "tested")["cached"] is True
    assert aged.layer("FlakyPart", "tested")["cached"] is True
    misses = aged.json["summary"]["cache"]["misses"]
    assert misses == sum(not row["cached"] for row in _rows(aged.json))


def test_retry_settings_are_validated(tmp_path: Path) -> None:
    root = copy_project("slowtests", tmp_path)
    config = root / "pyproject.toml"
    original = config.read_text()
    for bad, key in (
        ("retries = -1", "tool.lockgate.retries"),
        (
            "retries = 1\nretry_load_dependent_after = -5",
            "tool.lockgate.retry_load_dependent_after",
        ),
    ):
        config.write_text(original.replace("retries = 1", bad))
        run = lockgate("align", root)
        assert run.code == 2, run.stderr
        assert key in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr
