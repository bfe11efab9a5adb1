"""Audit mode (issue 19): a seeded sample of the results a run would serve runs again in the
same run, and a stored result that a fresh run contradicts is reported, replaced and fails
the run.

The planted input is one no observer can see: a test reads an environment variable the
project does not list in ``env`` (lockgate keys no such variable, as it keys no machine
state it does not know of). A run with it set serves the pass stored without it; only
running the result again shows that the pass no longer holds.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, copy_project, isolated_env, lockgate
from conftest import git as run_git

MODE = "SHOP_AUDIT_MODE"
CART = "shop.features.cart.CartService"

CART_TESTS = """import os

from shop.features.cart import CartService


def test_total():
    cart = CartService()
    cart.add("tea", 450, 2)
    cart.add("mug", 1200)
    assert cart.total() == "21.00"


def test_mode():
    assert os.environ.get("SHOP_AUDIT_MODE") != "strict"
"""


@pytest.fixture(autouse=True)
def _no_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MODE, raising=False)


def _with_cart_tests(root: Path) -> Path:
    (root / "tests" / "test_cart.py").write_text(CART_TESTS)
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "a test that reads a variable no key holds")
    return root


@pytest.fixture
def shop(project: Callable[[str], Path]) -> Path:
    return _with_cart_tests(project("basic"))


def align(root: Path, *args: str, planted: bool = True) -> Run:
    return lockgate("align", root, "--json", *args, env={MODE: "strict"} if planted else None)


def audit_of(run: Run) -> dict[str, Any]:
    return dict(run.json["summary"]["audit"])


def stale_pass(root: Path) -> int:
    """Store the pass, plant the change, show a run serves the stale pass while a fresh run
    fails; returns how many results a run serves."""
    stored = align(root, planted=False)
    assert stored.code == 0, stored.stderr
    assert stored.layer(CART, "tested")["passed"] is True
    fresh = align(root, "--no-cache")
    assert fresh.layer(CART, "tested")["passed"] is False
    served = align(root)
    assert served.layer(CART, "tested")["passed"] is True  # the stale pass
    assert served.layer(CART, "tested")["cached"] is True
    assert served.json["summary"]["cache"]["misses"] == 0
    return int(served.json["summary"]["cache"]["hits"])


@pytest.fixture(scope="module")
def _stale(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """One ``shop`` after :func:`stale_pass` (its checks included), for the module's tests that
    start there; each takes a copy (:func:`stale_shop`)."""
    with isolated_env(tmp_path_factory), pytest.MonkeyPatch.context() as mp:
        mp.delenv(MODE, raising=False)
        root = _with_cart_tests(copy_project("basic", tmp_path_factory.mktemp("stale")))
        return root, stale_pass(root)


@pytest.fixture
def stale_shop(_stale: tuple[Path, int], tmp_path: Path) -> tuple[Path, int]:
    """A copy of the ``shop`` whose store serves the stale pass (git and store included: results
    are keyed by content, not by folder), and how many results a run serves there."""
    root, served = _stale
    return Path(shutil.copytree(root, tmp_path / root.name, symlinks=True)), served


def test_audit_catches_an_input_no_observer_sees_within_its_bound(
    stale_shop: tuple[Path, int],
) -> None:
    shop, served = stale_shop
    fraction = 0.05
    # At 5 % a window is 20 runs (the seed is the run's number in the store) and two of them
    # audit, each a part of the served results, so any 20 consecutive runs audit every result.
    bound = math.ceil(1 / fraction)
    runs = []
    for _ in range(bound):
        run = align(shop, "--audit", str(fraction))
        runs.append(run)
        if audit_of(run)["mismatches"]:
            break
    else:
        pytest.fail(f"no mismatch in {bound} audited runs: {[audit_of(r) for r in runs]}")
    assert all(audit_of(r)["window"] == bound and audit_of(r)["parts"] == 2 for r in runs)
    # cost: a run that is not due re-runs nothing; no result is audited twice in a window
    due = [r for r in runs if audit_of(r)["due"]]
    assert 1 <= len(due) <= 2
    for run in runs:
        if not audit_of(run)["due"]:
            assert audit_of(run)["sampled"] == 0
            assert run.json["summary"]["cache"]["misses"] == 0
            assert run.json["summary"]["cache"]["hits"] == served
    assert sum(audit_of(r)["sampled"] for r in runs) <= served
    seeds = [audit_of(r)["seed"] for r in runs]
    assert seeds == list(range(seeds[0], seeds[0] + len(runs)))  # one run, the next seed
    for run in runs:  # each run names the next that audits
        coming = audit_of(run)["next_due"]
        if coming <= seeds[-1]:
            assert audit_of(runs[coming - seeds[0]])["due"]
            assert not any(
                audit_of(r)["due"]
                for r in runs
                if audit_of(run)["seed"] < audit_of(r)["seed"] < coming
            )

    caught = runs[-1]
    assert caught.code == 1
    audit = audit_of(caught)
    assert audit["mismatches"] == 1 and audit["fraction"] == fraction
    (found,) = audit["results"]
    assert (found["feature"], found["layer"]) == (CART, "tested")
    assert found["stored"]["passed"] is True and found["fresh"]["passed"] is False
    assert "tests/test_cart.py" in found["inputs"]
    # the run's verdict is the fresh one
    row = caught.layer(CART, "tested")
    assert row["passed"] is False and row["cached"] is False
    assert row["reason"].startswith("audited")
    assert "test_mode" in row["detail"]
    # said on stderr: which result, both verdicts, the inputs recorded for it
    said = [line for line in caught.stderr.splitlines() if "audit" in line]
    assert said, caught.stderr
    assert CART in said[0] and "tested" in said[0]
    assert "stored: passed" in said[0] and "fresh: failed" in said[0]
    assert "its recorded inputs: src/shop/" in said[0]  # files that exist come first
    assert "tests/test_cart.py, " in said[0]

    # `why` tells the last run's audit, and that the stored result replaced a wrong one
    last = lockgate("why", "--last", CART, shop, "--json")
    assert last.code == 0, last.stderr
    tested = last.json["layers"]["tested"]
    assert "audit" in tested["reason"] and "stored: passed" in tested["reason"]
    now = lockgate("why", CART, shop, "--json")
    tested = now.json["layers"]["tested"]
    assert tested["reused"] is True and "audit" in tested["reason"]

    # replaced: the next run serves the fresh failure, not the stale pass
    after = align(shop)
    assert after.layer(CART, "tested")["passed"] is False
    assert after.layer(CART, "tested")["cached"] is True


def rerun(run: Run) -> list[tuple[str, str]]:
    """The (feature, layer) pairs and test files of no feature that a run did not serve."""
    return [
        (f["id"], name)
        for f in run.json["features"]
        for name, layer in f["layers"].items()
        if not layer["cached"]
    ] + [(s["file"], "suite") for s in run.json["suite"] if not s["cached"]]


def test_a_seed_samples_the_same_part_a_window_covers_each_result_once_a_full_audit_all(
    stale_shop: tuple[Path, int],
) -> None:
    shop, served = stale_shop
    # at 2 % a window is 50 runs, of which those at 0, 16 and 33 (mod 50) audit a third each
    one = align(shop, "--audit", "0.02", "--audit-seed", "66", planted=False)
    two = align(shop, "--audit", "0.02", "--audit-seed", "66", planted=False)
    assert one.code == two.code == 0, one.stderr + two.stderr
    assert audit_of(one) == audit_of(two)
    assert audit_of(one)["seed"] == 66 and audit_of(one)["mismatches"] == 0
    assert audit_of(one)["due"] is True and audit_of(one)["next_due"] == 83
    assert (audit_of(one)["window"], audit_of(one)["parts"]) == (50, 3)
    assert rerun(one) == rerun(two) and rerun(one)
    assert audit_of(one)["sampled"] == len(rerun(one)) < served

    between = align(shop, "--audit", "0.02", "--audit-seed", "67", planted=False)
    assert between.code == 0, between.stderr
    assert audit_of(between)["due"] is False and audit_of(between)["sampled"] == 0
    assert audit_of(between)["next_due"] == 83 and not rerun(between)

    others = [
        align(shop, "--audit", "0.02", "--audit-seed", seed, planted=False)
        for seed in ("83", "100")
    ]
    covered = [pair for run in (one, *others) for pair in rerun(run)]
    assert len(covered) == len(set(covered)) == served  # every served result, once

    everything = align(shop, "--audit", "1")
    assert everything.code == 1
    assert audit_of(everything)["sampled"] == served
    assert everything.json["summary"]["cache"]["hits"] == 0


def test_audit_from_the_configuration_blocks_a_deploy_unless_its_gate_says_otherwise(
    stale_shop: tuple[Path, int],
) -> None:
    shop, _ = stale_shop
    pyproject = shop / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("[tool.lockgate]\n", "[tool.lockgate]\naudit = 1.0\n")
    )
    run_git(shop, "commit", "-qam", "audit every served result")
    # a configuration edit re-runs the tested layers (it is in their keys): store them passing
    assert align(shop, planted=False).code == 0

    blocked = lockgate("deploy", shop, "--json", env={MODE: "strict"})
    assert blocked.code == 1
    assert blocked.json["deployed"] is False
    (gate,) = [g for g in blocked.json["gates"] if g["name"] == "audit"]
    assert gate["passed"] is False and gate["severity"] == "error"
    assert CART in gate["detail"]

    pyproject.write_text(pyproject.read_text() + '\n[tool.lockgate.gates]\naudit = "warning"\n')
    run_git(shop, "commit", "-qam", "an audit mismatch warns")
    assert align(shop, planted=False).code == 0
    warned = align(shop)
    assert warned.code == 0, warned.stderr
    assert audit_of(warned)["mismatches"] == 1
    assert "audit" in warned.stderr


def test_a_deploy_without_audit_has_no_audit_gate_nor_summary(shop: Path) -> None:
    run = lockgate("deploy", shop, "--json", "--dry-run")
    assert run.code == 0, run.stderr
    assert "audit" not in run.json["summary"]
    assert "audit" not in [g["name"] for g in run.json["gates"]]


def test_cache_stats_and_the_report_show_audited_counts_and_the_mismatch_rate(
    stale_shop: tuple[Path, int], tmp_path: Path
) -> None:
    shop, _ = stale_shop
    assert align(shop, "--audit", "1").code == 1
    assert align(shop, "--audit", "1").code == 0  # the fresh failure stands: no mismatch

    stats = lockgate("cache", "stats", shop, "--json")
    assert stats.code == 0, stats.stderr
    data = stats.json
    newest = data["runs"][0]
    assert newest["audited"] > 0 and newest["audit_mismatches"] == 0
    assert data["runs"][1]["audit_mismatches"] == 1
    totals = data["totals"]
    assert totals["audited"] == newest["audited"] + data["runs"][1]["audited"]
    assert totals["audit_mismatches"] == 1
    assert totals["mismatch_rate"] == round(1 / totals["audited"], 3)
    table = lockgate("cache", "stats", shop)
    assert "audited" in table.stdout and "mismatch" in table.stdout

    page = tmp_path / "report.html"
    assert lockgate("report", "--html", page, shop).code in (0, 1)
    html = page.read_text()
    assert "audited" in html and "mismatch rate" in html


def test_a_deploy_not_due_to_audit_runs_nothing_again_and_its_gate_says_when_one_will(
    shop: Path,
) -> None:
    assert align(shop, planted=False).code == 0
    run = lockgate("deploy", shop, "--json", "--dry-run", "--audit", "0.05", "--audit-seed", "1")
    assert run.code == 0, run.stderr
    audit = run.json["summary"]["audit"]
    assert (audit["due"], audit["sampled"], audit["next_due"], audit["window"]) == (
        False,
        0,
        10,
        20,
    )
    assert run.json["summary"]["cache"]["misses"] == 0
    (gate,) = [g for g in run.json["gates"] if g["name"] == "audit"]
    assert gate["passed"] is True
    assert "not due" in gate["detail"] and "run 10 audits next" in gate["detail"]
    # a run that is not due is served as one without audit: by the no-change path
    quick = lockgate("align", shop, "--audit", "0.05", "--audit-seed", "1")
    assert quick.code == 0, quick.stderr
    assert "nothing changed: reused" in quick.stderr
    due = lockgate("align", shop, "--audit", "0.05", "--audit-seed", "10")
    assert due.code == 0, due.stderr
    assert "nothing changed" not in due.stderr and "planned" in due.stderr
