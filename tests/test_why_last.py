"""Why layers re-ran: recorded at run time, in ``align --json`` (``reason``) and ``why --last``."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run, aligned_copy, aligned_run, lockgate
from test_broken_inputs import wait_out_racy_window
from test_reverts import as_schema_6

LAYERS = ("discovered", "imported", "instantiated", "documented", "tested", "wired")
FEATURES = ("CartService", "CatalogService", "PricingService")


def reasons(run: Run) -> dict[tuple[str, str], str]:
    """(feature name, layer) → reason, for every layer that carries one."""
    assert run.code == 0, run.stderr
    return {
        (f["name"], name): layer["reason"]
        for f in run.json["features"]
        for name, layer in f["layers"].items()
        if "reason" in layer
    }


def re_run(run: Run) -> set[tuple[str, str]]:
    """(feature name, layer) of every layer that was not reused."""
    return {
        (f["name"], name)
        for f in run.json["features"]
        for name, layer in f["layers"].items()
        if not layer["cached"]
    }


def test_reasons_are_recorded_per_re_run_layer(project: Callable[..., Path]) -> None:
    root = project("basic")
    wait_out_racy_window(root)  # so that the second run is served by the no-change path
    first = lockgate("align", "--json", cwd=root)
    got = reasons(first)
    # every layer ran, and each says why: nothing was stored for it before
    assert set(got) == re_run(first) == {(f, x) for f in FEATURES for x in LAYERS}
    assert set(got.values()) == {"no earlier result for this feature and layer"}

    # served whole from the store: no layer re-ran, none has a reason, why --last says so
    again = lockgate("align", "--json", cwd=root)
    assert reasons(again) == {} and re_run(again) == set()
    last = lockgate("why", "--last", "--json", "CartService", cwd=root)
    assert last.code == 0, last.stderr
    assert last.json["feature"] == "shop.features.cart.CartService"
    assert all(layer["reused"] for layer in last.json["layers"].values())
    assert lockgate("why", "--last", cwd=root).stdout.splitlines()[-1] == (
        "nothing re-ran: every result was reused"
    )

    # a helper two features import: exactly their import-dependent layers re-run (and the
    # suite file testing the helper: see `why --last` below), and each names the helper
    money = root / "src/shop/money.py"
    money.write_text(money.read_text() + "\n\ndef _helper():\n    return 1\n")
    edited = lockgate("align", "--json", cwd=root)
    expected = {
        (f, x)
        for f in ("CartService", "PricingService")
        for x in ("imported", "instantiated", "tested")
    }
    assert re_run(edited) == expected
    assert [s["cached"] for s in edited.json["suite"]] == [False]
    assert set(reasons(edited)) == expected
    for reason in reasons(edited).values():
        assert reason == "inputs differ from the last stored result: file changed src/shop/money.py"
    # the layers that were reused carry no reason
    assert "reason" not in edited.layer("CatalogService", "imported")

    # `why` now compares with the store as it is: nothing would re-run
    now = lockgate("why", "--json", "CartService", cwd=root)
    assert all(layer["reused"] for layer in now.json["layers"].values())
    # `why --last` tells what the last run did, for exactly the layers that re-ran
    last = lockgate("why", "--last", "--json", "CartService", cwd=root)
    assert last.code == 0, last.stderr
    assert last.json["run"]["misses"] == len(expected) + 1  # and the suite file
    for name, layer in last.json["layers"].items():
        if name in ("imported", "instantiated", "tested"):
            assert layer["reused"] is False
            assert layer["reason"] == "inputs differ from the last stored result"
            assert layer["changes"] == [
                {"kind": "file changed", "item": "src/shop/money.py", "detail": ""}
            ]
        else:
            assert layer["reused"] is True and layer["changes"] == []
    every = lockgate("why", "--last", "--json", cwd=root)
    assert [f["feature"] for f in every.json["features"]] == [
        "shop.features.cart.CartService",
        "shop.features.pricing.PricingService",
        "tests/test_misc.py",
    ]
    text = lockgate("why", "--last", cwd=root)
    assert text.code == 0, text.stderr
    assert "file changed src/shop/money.py" in text.stdout
    assert "CatalogService" not in text.stdout
    suite = lockgate("why", "--last", "tests/test_misc.py", cwd=root)
    assert "suite        re-run  inputs differ" in suite.stdout
    unknown = lockgate("why", "--last", "NoSuchService", cwd=root)
    assert unknown.code == 2 and len(unknown.stderr.splitlines()) == 1

    # configuration: the key's item and its values are named
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("coverage = 80", "coverage = 81"))
    configured = lockgate("align", "--json", cwd=root)
    assert set(reasons(configured)) == {(f, "tested") for f in FEATURES}
    assert set(reasons(configured).values()) == {
        "inputs differ from the last stored result: configuration coverage (80.0 → 81.0)"
    }


def test_reused_load_dependent_failures_and_retries_name_their_reason(
    project: Callable[..., Path],
) -> None:
    root = project("basic")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("timeout = 20", "timeout = 1"))
    (root / "src/shop/features/slow.py").write_text(
        '"""Slow to import."""\n\nimport time\n\ntime.sleep(4)\n\n\nclass SlowService:\n    pass\n'
    )
    lockgate("align", "--json", cwd=root)
    # a timeout is stored as a load-dependent failure: the next run reuses it, no reason
    second = reasons(lockgate("align", "--json", cwd=root))
    assert ("SlowService", "imported") not in second
    # --retry-failed runs stored failures again, and says so
    retried = reasons(lockgate("align", "--json", "--retry-failed", cwd=root))
    assert retried[("SlowService", "imported")] == (
        "the stored result failed and --retry-failed is set"
    )
    assert retried[("SlowService", "documented")] == (
        "the stored result failed and --retry-failed is set"
    )
    assert ("CartService", "documented") not in retried


def test_a_store_of_the_previous_schema_keeps_its_results(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = aligned_copy("basic", tmp_path, tmp_path_factory)  # a store of one cold run
    assert aligned_run("basic").code == 0
    db = root / ".lockgate" / "store.sqlite"
    with sqlite3.connect(db) as conn:  # the store as lockgate's schema 5 left it
        as_schema_6(conn)
        conn.execute("DROP TABLE reasons")
        conn.execute("ALTER TABLE runs DROP COLUMN scope")
        conn.execute("ALTER TABLE runs DROP COLUMN remote_hits")
        conn.execute("ALTER TABLE results DROP COLUMN marks")
        conn.execute("ALTER TABLE runs DROP COLUMN mean_score")
        conn.execute("PRAGMA user_version = 5")
    old = lockgate("why", "--last", cwd=root)
    assert old.code == 2 and "left no record" in old.stderr
    run = lockgate("align", "--json", cwd=root)
    assert run.code == 0 and run.stderr == ""  # not set aside
    assert re_run(run) == set()  # every result reused
    assert lockgate("why", "--last", "CartService", cwd=root).code == 0
    assert not list((root / ".lockgate").glob("store.sqlite.damaged-*"))


def test_a_store_of_schema_6_keeps_its_results_and_gets_audit_counts(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = aligned_copy("basic", tmp_path, tmp_path_factory)  # a store of one cold run
    assert aligned_run("basic").code == 0
    db = root / ".lockgate" / "store.sqlite"
    with sqlite3.connect(db) as conn:  # the store as lockgate's schema 6 left it
        as_schema_6(conn)
    # at 5 % run 10 audits about half of the served results (the second part of its window)
    run = lockgate("align", "--json", "--audit", "0.05", "--audit-seed", "10", cwd=root)
    assert run.code == 0 and run.stderr == ""  # not set aside
    assert run.json["summary"]["audit"]["sampled"] > 0
    assert run.json["summary"]["cache"]["hits"] > 0  # the rest reused
    stats = lockgate("cache", "stats", "--json", cwd=root).json
    assert [r["audited"] for r in stats["runs"]] == [run.json["summary"]["audit"]["sampled"], 0]
    assert not list((root / ".lockgate").glob("store.sqlite.damaged-*"))
