"""A stored failure is re-checked once before it blocks a deploy (issue 18).

The scenario is the "failed once under load" one, made deterministic: the tests and one
constructor fail while ``SHOP_UNDER_LOAD`` names them. lockgate keys no such variable (it is not
in the environment fingerprint, and the project lists no ``env``), exactly as it keys no machine
load: a run with it set stores a failure under the same keys as a run without it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, lockgate
from conftest import git as run_git

LOAD = "SHOP_UNDER_LOAD"
CART = "shop.features.cart.CartService"
PRICING = "shop.features.pricing.PricingService"
RECHECKED = "re-checked a stored failure before it blocks"

CART_TESTS = """import os

from shop.features.cart import CartService


def test_total():
    cart = CartService()
    cart.add("tea", 450, 2)
    cart.add("mug", 1200)
    assert cart.total() == "21.00"


def test_not_slow():
    assert os.environ.get("SHOP_UNDER_LOAD") != "slow"


def test_not_stalled():
    assert os.environ.get("SHOP_UNDER_LOAD") != "stalled"
"""

MISC_TESTS = '''"""Tests of the money helper only: this file belongs to no feature."""

import os

from shop.money import cents, fmt


def test_round_trip():
    assert cents("12.34") == 1234
    assert os.environ.get("SHOP_UNDER_LOAD") != "slow"
    assert fmt(cents("0.05")) == "0.05"
'''

PRICING_INIT = (
    "    def __init__(self, percent: int = 10) -> None:\n        self.percent = percent\n"
)
# a constructor that fails under "load": the instantiated layer, which the integration gate counts
PRICING_UNDER_LOAD = (
    "    def __init__(self, percent: int = 10) -> None:\n"
    '        if __import__("os").environ.get("SHOP_UNDER_LOAD") == "ctor":\n'
    '            raise RuntimeError("timed out talking to the rates service")\n'
    "        self.percent = percent\n"
)


@pytest.fixture
def shop(project: Callable[[str], Path]) -> Path:
    root = project("basic")
    (root / "tests" / "test_cart.py").write_text(CART_TESTS)
    (root / "tests" / "test_misc.py").write_text(MISC_TESTS)
    pricing = root / "src" / "shop" / "features" / "pricing.py"
    pricing.write_text(pricing.read_text().replace(PRICING_INIT, PRICING_UNDER_LOAD))
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "tests that fail under load")
    return root


def align(root: Path, load: str | None = None) -> Run:
    return lockgate("align", root, "--json", env={LOAD: load} if load else None)


def deploy(root: Path, *args: str, load: str | None = None) -> Run:
    return lockgate("deploy", root, "--json", *args, env={LOAD: load} if load else None)


def suite_row(run: Run, path: str) -> dict[str, Any]:
    (row,) = [s for s in run.json["suite"] if s["file"] == path]
    return dict(row)


def gates_of(run: Run) -> dict[str, dict[str, Any]]:
    return {g["name"]: g for g in run.json["gates"]}


@pytest.fixture(autouse=True)
def _no_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LOAD, raising=False)


def test_a_stored_test_failure_is_rechecked_and_a_pass_ships_as_flaky(shop: Path) -> None:
    loaded = align(shop, load="slow")
    assert loaded.layer(CART, "tested")["passed"] is False
    assert "tests/test_cart.py::test_not_slow" in loaded.layer(CART, "tested")["detail"]
    assert suite_row(loaded, "tests/test_misc.py")["passed"] is False

    # align serves the stored verdict of an unchanged tree (the decision in docs/design.md)
    again = align(shop)
    assert again.layer(CART, "tested")["cached"] is True
    assert again.layer(CART, "tested")["passed"] is False

    # what the tree says, run afresh
    fresh = deploy(shop, "--no-cache", "--dry-run")
    assert fresh.code == 0, fresh.stderr

    run = deploy(shop)

    assert run.code == 0, run.stderr
    assert run.json["deployed"] is True
    gates = gates_of(run)
    assert gates["tests"]["passed"] is True and gates["integration"]["passed"] is True
    tested = run.layer(CART, "tested")
    assert tested["passed"] is True and tested["cached"] is False
    assert tested["flaky"] is True
    assert RECHECKED in tested["reason"]
    assert "flaky: failed when stored, passed when re-checked" in tested["detail"]
    misc = suite_row(run, "tests/test_misc.py")
    assert misc["passed"] is True and misc["cached"] is False and misc["flaky"] is True
    # only the failures ran again: every pass was served
    assert run.json["summary"]["cache"]["misses"] == 2

    last = lockgate("why", "--last", "--json", "CartService", cwd=shop)
    assert last.code == 0, last.stderr
    assert last.json["run"]["command"] == "deploy"
    assert RECHECKED in last.json["layers"]["tested"]["reason"]
    suite = lockgate("why", "--last", "tests/test_misc.py", cwd=shop)
    assert RECHECKED in suite.stdout

    # the pass was stored in place of the failure: the next align serves it
    after = align(shop)
    assert after.code == 0, after.stderr
    tested = after.layer(CART, "tested")
    assert tested["passed"] is True and tested["cached"] is True and tested["flaky"] is True
    assert suite_row(after, "tests/test_misc.py")["passed"] is True
    assert after.json["summary"]["cache"]["misses"] == 0


def test_a_recheck_that_fails_again_blocks_with_the_fresh_failure(shop: Path) -> None:
    loaded = align(shop, load="slow")
    assert "tests/test_cart.py::test_not_slow" in loaded.layer(CART, "tested")["detail"]

    run = deploy(shop, load="stalled")

    assert run.code == 1
    assert run.json["deployed"] is False
    tested = run.layer(CART, "tested")
    assert tested["passed"] is False and tested["cached"] is False
    assert RECHECKED in tested["reason"]
    assert "flaky" not in tested
    assert "tests/test_cart.py::test_not_stalled" in tested["detail"]
    assert "test_not_slow" not in tested["detail"]
    detail = gates_of(run)["tests"]["detail"]
    assert "tests/test_cart.py::test_not_stalled" in detail and "test_not_slow" not in detail
    # the suite file passes now: re-checked, it no longer blocks
    misc = suite_row(run, "tests/test_misc.py")
    assert misc["passed"] is True and misc["flaky"] is True

    # the fresh failure is what the store serves from now on
    after = align(shop)
    tested = after.layer(CART, "tested")
    assert tested["cached"] is True and tested["passed"] is False
    assert "tests/test_cart.py::test_not_stalled" in tested["detail"]


def test_a_stored_failure_of_a_layer_the_integration_gate_counts_is_rechecked(
    shop: Path,
) -> None:
    loaded = align(shop, load="ctor")
    instantiated = loaded.layer(PRICING, "instantiated")
    assert instantiated["passed"] is False
    assert "timed out talking to the rates service" in instantiated["detail"]

    run = deploy(shop, "--dry-run")

    assert run.code == 0, run.stderr
    instantiated = run.layer(PRICING, "instantiated")
    assert instantiated["passed"] is True and instantiated["cached"] is False
    assert instantiated["flaky"] is True
    assert RECHECKED in instantiated["reason"]
    assert run.layer(PRICING, "tested")["passed"] is True
    # the feature's passing layers were served
    assert run.layer(PRICING, "documented")["cached"] is True
    assert run.layer(CART, "tested")["cached"] is True


def test_a_failure_no_gate_counts_is_served_as_stored(shop: Path) -> None:
    """Re-checks are for what would block: with the tests gate off and the integration gate a
    warning, a stored failure counts for nothing and the deploy re-runs nothing."""
    config = shop / "pyproject.toml"
    config.write_text(
        config.read_text() + '\n[tool.lockgate.gates]\ntests = "off"\nintegration = "warning"\n'
    )
    subprocess.run(["git", "commit", "-qam", "gates"], cwd=shop, check=True)
    assert align(shop, load="slow").layer(CART, "tested")["passed"] is False

    run = deploy(shop, "--dry-run")

    assert run.code == 0, run.stderr
    assert run.json["summary"]["cache"]["misses"] == 0
    assert run.layer(CART, "tested")["cached"] is True


def test_a_failure_whose_pass_cannot_lift_the_block_is_not_rechecked(shop: Path) -> None:
    """A re-check costs a run: it is spent only where a pass could let the deploy through. A
    feature whose guide is missing stays under the threshold whatever its constructor does
    (a missing guide is a function of the tree: running it again gives the same), so its
    stored constructor failure is served, and the deploy blocks on the feature all the same."""
    (shop / "docs/guides/pricing-service.md").unlink()
    run_git(shop, "commit", "-qam", "the pricing guide is gone")
    loaded = align(shop, load="ctor")
    assert loaded.layer(PRICING, "instantiated")["passed"] is False
    assert loaded.layer(PRICING, "documented")["passed"] is False

    run = deploy(shop, "--dry-run")

    assert run.code == 1
    instantiated = run.layer(PRICING, "instantiated")
    assert instantiated["cached"] is True and instantiated["passed"] is False
    assert run.layer(PRICING, "documented")["cached"] is True
    ran = [
        (f["id"], name)
        for f in run.json["features"]
        for name, layer in f["layers"].items()
        if not layer["cached"]
    ]
    # its tests failed under the same load: the tests gate blocks on that alone, whatever the
    # score, so that failure is re-checked (and passes now)
    assert ran == [(PRICING, "tested")]
    assert run.layer(PRICING, "tested")["passed"] is True


def test_a_failure_the_feature_scores_past_is_not_rechecked_one_that_lifts_it_is(
    shop: Path,
) -> None:
    """A feature that reaches the threshold with its failures counted as failures passes the
    integration gate whatever a re-check says, so its failures are served (a fresh clone
    re-ran every such failure). Raise the threshold past that score and passing them is what
    lets the deploy through: they are re-checked again."""
    config = shop / "pyproject.toml"
    base = config.read_text()
    # the tests gate a warning: the tested failure counts for the integration gate alone
    config.write_text(
        base.replace("[tool.lockgate]\n", "[tool.lockgate]\nthreshold = 60\n")
        + '\n[tool.lockgate.gates]\ntests = "warning"\n'
    )
    run_git(shop, "commit", "-qam", "threshold 60")
    loaded = align(shop, load="ctor")
    # the constructor and the tests that build it fail: 67 of 100, still above 60
    assert loaded.layer(PRICING, "instantiated")["passed"] is False
    assert loaded.layer(PRICING, "tested")["passed"] is False

    run = deploy(shop, "--dry-run")

    assert run.code == 0, run.stderr
    assert run.json["summary"]["cache"]["misses"] == 0
    for name in ("instantiated", "tested"):
        layer = run.layer(PRICING, name)
        assert layer["cached"] is True and layer["passed"] is False
        assert RECHECKED not in layer.get("reason", "")

    config.write_text(config.read_text().replace("threshold = 60", "threshold = 70"))
    run_git(shop, "commit", "-qam", "threshold 70")
    align(shop, load="ctor")

    run = deploy(shop, "--dry-run")

    # 67 is under 70 and passing both failures brings it to 100: both run again, and pass
    assert run.code == 0, run.stderr
    for name in ("instantiated", "tested"):
        layer = run.layer(PRICING, name)
        assert layer["cached"] is False and layer["passed"] is True
        assert RECHECKED in layer["reason"]


def test_an_unchanged_tree_whose_failures_no_recheck_could_lift_deploys_by_the_no_change_path(
    shop: Path,
) -> None:
    """A codebase with legacy failures (the common case when a team adopts the gate) deploys
    an unchanged tree as fast as it aligns one: when no stored failure is one a re-check could
    lift, the full path would serve every result as stored, so the no-change path serves the
    same run. One failure a pass could lift, and the deploy takes the full path again."""
    (shop / "docs/guides/pricing-service.md").unlink()
    run_git(shop, "commit", "-qam", "the pricing guide is gone")
    loaded = align(shop, load="ctor")
    assert loaded.layer(PRICING, "instantiated")["passed"] is False
    first = deploy(shop, "--dry-run")  # re-checks the tests that failed under load: they pass
    assert first.code == 1
    full = lockgate("deploy", shop, "--dry-run", "--json", "--no-cache")

    again = lockgate("deploy", shop, "--dry-run")

    assert again.code == 1
    assert "nothing changed: reused" in again.stderr
    served = deploy(shop, "--dry-run")
    assert served.code == 1
    assert served.json["summary"]["cache"]["misses"] == 0
    # the verdicts are the keyed path's: the constructor failure as stored, the guide missing
    assert verdicts_of(served) == verdicts_of(first)
    assert gates_of(served) == gates_of(first)
    # and those of a run that reuses nothing, but for the failure only the load made and the
    # note that the first deploy's re-check passed (a flaky result says so where it is served)
    fresh = verdicts_of(full)
    fresh[(PRICING, "instantiated")] = verdicts_of(first)[(PRICING, "instantiated")]
    noted = {k: (p, d.split("; flaky: ")[0]) for k, (p, d) in verdicts_of(served).items()}
    assert noted == fresh

    # the guide comes back, so passing the constructor would lift the block: a re-check is
    # worth its run, and the unchanged tree's deploy is the full path's
    (shop / "docs/guides").mkdir(exist_ok=True)
    run_git(shop, "checkout", "HEAD~1", "--", "docs/guides/pricing-service.md")
    run_git(shop, "commit", "-qm", "the guide is back")
    align(shop, load="ctor")
    run = lockgate("deploy", shop, "--dry-run")
    assert "nothing changed: reused" not in run.stderr
    assert run.code == 0, run.stderr


def verdicts_of(run: Run) -> dict[tuple[str, str], tuple[bool, str]]:
    return {
        (f["id"], name): (layer["passed"], layer["detail"])
        for f in run.json["features"]
        for name, layer in f["layers"].items()
    }
