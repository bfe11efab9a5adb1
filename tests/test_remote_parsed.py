"""Parse facts through the remote (issue 22): a fresh clone reads what every Python file says
from the remote, in one batch, instead of parsing it; the facts are signed and verified as
results are, so a forged one is refused and the file parsed (see "Parse facts" in the remote
section of docs/design.md)."""

from __future__ import annotations

import json
import shutil
import zlib
from collections.abc import Callable
from pathlib import Path

from conftest import Run, lockgate
from test_remote import verdicts

from lockgate.remote import parsed
from lockgate.remote.tree import VARIANT as TREE
from lockgate.remote.trust import Trust

SECRET = "a-shared-secret-of-the-ci-and-its-clones"
WRONG = "another-secret-that-signed-nothing-here"
PRICING = "shop.features.pricing.PricingService"


def held(share: Path) -> dict[Path, tuple[int, bytes]]:
    """Every parse fact the folder remote holds: its file, when it was written, its bytes."""
    return {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in share.rglob(parsed.VARIANT)}


def test_a_fresh_clone_parses_nothing_the_remote_holds_and_refuses_a_forged_fact(
    project: Callable[[str], Path], tmp_path: Path
) -> None:
    root = project("basic")
    share = tmp_path / "share"
    share.mkdir()
    remote = ("--remote", share.as_uri())
    env = {"LOCKGATE_REMOTE_KEY": SECRET}

    def clone(secret: str = SECRET) -> Run:
        shutil.rmtree(root / ".lockgate")
        # without the record of the whole tree (lockgate/remote/tree.py), which would serve
        # the clone parsing nothing and reading no fact: this test is of the facts
        for record in share.rglob(TREE):
            record.unlink()
        return lockgate("align", root, "--json", "-q", *remote, env={"LOCKGATE_REMOTE_KEY": secret})

    first = lockgate("align", root, "--json", "-q", *remote, env=env)
    assert first.code == 0, first.stderr
    facts = held(share)
    # one fact per Python file of the project, written by the run that parsed it
    assert len(facts) == len(list(root.rglob("*.py"))) == 12
    fresh = lockgate("align", root, "--json", "-q", "--no-cache")

    run = clone()
    assert verdicts(run) == verdicts(fresh)
    assert run.json["summary"]["cache"]["remote_errors"] == 0
    # a run publishes every fact it parsed itself: this one parsed nothing, so wrote none
    assert held(share) == facts

    # the proof that the fact is read instead of the file: one that says pricing.py defines
    # no class, signed with the secret this clone trusts, hides the feature
    (path,) = [
        p
        for p, (_, data) in facts.items()
        if any(c[0] == "PricingService" for c in json.loads(_payload(data))["classes"])
    ]
    name = path.parent.name.removesuffix(".v")
    body = json.loads(_payload(facts[path][1]))
    body["classes"] = []
    path.write_bytes(parsed.seal(Trust(SECRET.encode()), None, name, json.dumps(body)))
    trusted = clone()
    assert trusted.code == 0, trusted.stderr
    assert PRICING not in {f["id"] for f in trusted.json["features"]}

    # the same fact signed by a secret this clone does not hold: refused, and the file parsed
    path.write_bytes(parsed.seal(Trust(WRONG.encode()), None, name, json.dumps(body)))
    forged = clone()
    assert verdicts(forged) == verdicts(fresh)
    assert forged.json["summary"]["cache"]["remote_errors"] == 1
    assert "1 entries failed verification" in forged.stderr
    # and the fact it parsed is published in its place
    assert _payload(path.read_bytes()) == _payload(facts[path][1])


def _payload(data: bytes) -> str:
    """A parse fact's JSON, read without verifying it."""
    return zlib.decompress(data.partition(b"\n")[2]).decode()
