"""``--shard K/N``: each shard validates its part only; together they cover everything once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Run, copy_project, git, lockgate

LAYERS = ("discovered", "imported", "instantiated", "documented", "tested", "wired")


def verdicts(run: Run) -> dict[str, Any]:
    """Every verdict of a run, by feature and layer, and by suite file."""
    data = run.json
    layers = {
        (f["id"], name): (layer["passed"], layer["detail"])
        for f in data["features"]
        for name, layer in f["layers"].items()
    }
    return {"layers": layers, "suite": {s["file"]: s["passed"] for s in data["suite"]}}


@pytest.mark.parametrize("value", ["0/2", "3/2", "x", "1/0", "2", "-1/2", "1/2/3"])
def test_a_bad_shard_is_one_line(tmp_path: Path, value: str) -> None:
    run = lockgate("align", "--shard", value, tmp_path)
    assert run.code == 2
    assert run.stderr.count("\n") == 1 and "--shard" in run.stderr, run.stderr


def test_shards_are_disjoint_cover_everything_and_fill_the_store(tmp_path: Path) -> None:
    root = copy_project("basic", tmp_path, commit=False)
    # One test file of two features: their tested layers run it, so they share a shard.
    (root / "tests" / "test_together.py").write_text(
        "from shop.features.cart import CartService\n"
        "from shop.features.pricing import PricingService\n\n\n"
        "def test_checkout():\n"
        "    cart = CartService()\n"
        '    cart.add("tea", 1000)\n'
        '    assert PricingService().discounted(cart.total()) == "9.00"\n'
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")

    shards = []
    for k in (1, 2):
        run = lockgate("align", "--json", "--shard", f"{k}/2", root)
        assert run.code == 0, run.stderr
        assert run.json["summary"]["shard"] == {"index": k, "count": 2}
        shards.append(run)
    ids = [{f["id"] for f in s.json["features"]} for s in shards]
    suites = [{s["file"] for s in run.json["suite"]} for run in shards]
    assert not ids[0] & ids[1] and not suites[0] & suites[1]
    assert all(ids[i] or suites[i] for i in (0, 1)), "a shard with nothing to do"
    cart = next(i for i in (0, 1) if any(f.endswith(".CartService") for f in ids[i]))
    assert any(f.endswith(".PricingService") for f in ids[cart])
    for run in shards:  # a shard reports its own part, and ran all of it
        cache = run.json["summary"]["cache"]
        assert cache == {
            "hits": 0,
            "misses": len(run.json["features"]) * 6 + len(run.json["suite"]),
            "remote_hits": 0,
            "remote_errors": 0,
        }

    whole = lockgate("align", "--json", root)
    fresh = lockgate("align", "--json", "--no-cache", root)
    assert whole.code == fresh.code == 0, whole.stderr + fresh.stderr
    assert "shard" not in whole.json["summary"]
    assert whole.json["summary"]["cache"]["misses"] == 0
    assert {f["id"] for f in fresh.json["features"]} == ids[0] | ids[1]
    assert {s["file"] for s in fresh.json["suite"]} == suites[0] | suites[1]
    assert verdicts(whole) == verdicts(fresh)
    joined = {k: {**verdicts(shards[0])[k], **verdicts(shards[1])[k]} for k in ("layers", "suite")}
    assert joined == verdicts(fresh)

    # The same split again, now from the store's timings: still disjoint and covering.
    again = [lockgate("align", "--json", "--shard", f"{k}/2", root) for k in (1, 2)]
    assert [{f["id"] for f in r.json["features"]} for r in again] in (ids, ids[::-1])
    assert all(r.json["summary"]["cache"]["misses"] == 0 for r in again)

    table = lockgate("align", "--shard", "2/2", root)
    assert table.code == 0 and "shard 2/2: " in table.stdout
    deploy = lockgate("deploy", "--shard", "1/2", root)
    assert deploy.code == 2 and deploy.stderr.count("\n") == 1, deploy.stderr
