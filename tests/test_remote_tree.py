"""A whole tree's result on the remote (issue 22): a fresh clone of a tree some run validated
is served in one read, and never when anything the run read differs, nor from a record that
does not verify for its name. A shared folder remote, real clones at other paths."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Run, copy_project, git, isolated_env, lockgate

from lockgate.remote.tree import VARIANT

SECRET = "a-shared-secret-of-the-ci-and-its-clones"
SERVED = "validated before on this tree (the remote's record)"


@dataclass
class Setup:
    origin: Path
    share: Path
    first: Run
    record: Path  # the record of the origin's tree, which its run wrote

    def env(self, secret: str = SECRET) -> dict[str, str]:
        return {"LOCKGATE_REMOTE": self.share.as_uri(), "LOCKGATE_REMOTE_KEY": secret}

    def clone(self, where: Path) -> Path:
        dest = where / "checkout"
        git(self.origin, "clone", "-q", str(self.origin), str(dest))
        return dest

    def records(self) -> list[Path]:
        return sorted(self.share.rglob(VARIANT))


def verdicts(run: Run) -> dict[str, tuple[bool, str]]:
    assert run.code in (0, 1), run.stderr
    out = {
        f"{f['id']}/{n}": (x["passed"], x["detail"])
        for f in run.json["features"]
        for n, x in f["layers"].items()
    }
    out |= {f"suite/{s['file']}": (s["passed"], s["detail"]) for s in run.json["suite"]}
    return out


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    with isolated_env(tmp_path_factory):
        origin = copy_project("basic", tmp_path_factory.mktemp("ci"))
        share = tmp_path_factory.mktemp("share")
        env = {"LOCKGATE_REMOTE": share.as_uri(), "LOCKGATE_REMOTE_KEY": SECRET}
        first = lockgate("align", origin, "--json", "-q", env=env)
        assert first.code == 0, first.stderr
        (record,) = share.rglob(VARIANT)
        yield Setup(origin, share, first, record)


def test_a_fresh_clone_is_served_the_trees_record_then_its_own_snapshot(
    setup: Setup, tmp_path: Path
) -> None:
    assert setup.record.is_file()  # the CI's run wrote its tree's record
    root = setup.clone(tmp_path)
    fresh = lockgate("align", root, "--json", "-q", "--no-cache", "--no-remote")
    run = lockgate("deploy", root, "--dry-run", env=setup.env())
    assert run.code == 0, run.stderr
    assert SERVED in run.stderr
    assert "reused 0 local + 19 remote, ran 0" in " ".join(run.stdout.split())
    # kept as the clone's own snapshot: served by stat, with no remote at all
    again = lockgate("align", root, "--json", "--no-remote")
    assert again.json["summary"]["cache"] == {
        "hits": 19,
        "misses": 0,
        "remote_hits": 0,
        "remote_errors": 0,
    }
    assert verdicts(again) == verdicts(fresh) == verdicts(setup.first)
    stats = lockgate("cache", "stats", root, "--json").json
    assert [r["remote_hits"] for r in stats["runs"]][:2] == [0, 19]
    # served whole: no result was copied one by one into the local store
    assert not any(r["entries"] for r in stats["layers"] if r["layer"] != "secrets")


EDITS: dict[str, Callable[[Path], None]] = {
    # a file the results read, same listing and configuration: the record is found, and
    # refused by content
    "guide shortened": lambda root: (root / "docs" / "guides" / "cart-service.md").write_text(
        "too short\n"
    ),
    "test file changed": lambda root: (root / "tests" / "test_misc.py").write_text(
        (root / "tests" / "test_misc.py").read_text() + "\n\ndef test_added():\n    assert 0\n"
    ),
    # the listing
    "file added": lambda root: (root / "src" / "shop" / "extra.py").write_text("X = 1\n"),
    "file removed": lambda root: (root / "docs" / "guides" / "cart-service.md").unlink(),
    # the configuration
    "configuration": lambda root: (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text().replace("coverage = 80", "coverage = 95")
    ),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_clone_that_differs_is_never_served_the_record(
    setup: Setup, tmp_path: Path, edit: str
) -> None:
    root = setup.clone(tmp_path)
    EDITS[edit](root)
    fresh = lockgate("align", root, "--json", "-q", "--no-cache", "--no-remote")
    run = lockgate("align", root, "--json", "-q", env=setup.env())
    assert SERVED not in run.stderr
    assert verdicts(run) == verdicts(fresh)
    assert run.json["summary"]["cache"]["remote_errors"] == 0


def test_a_record_that_does_not_verify_for_its_name_is_never_served(
    setup: Setup, tmp_path: Path
) -> None:
    record = setup.record
    good = record.read_bytes()
    # the edited tree's own record, written by a run of it (an edit of this test's own)
    edited = setup.clone(tmp_path / "edited")
    money = edited / "src" / "shop" / "money.py"
    money.write_text(money.read_text() + "# the forgers' tree\n")
    before = set(setup.records())
    wrote = lockgate("align", edited, "--json", "-q", env=setup.env())
    assert wrote.code in (0, 1), wrote.stderr
    (other,) = set(setup.records()) - before
    fresh = lockgate("align", edited, "--json", "-q", "--no-cache", "--no-remote")
    try:
        forgeries = {
            # the original tree's record under the edited tree's name: it would pass the
            # content check of nothing, but must not even be read as the edited tree's
            "moved": good,
            # the edited tree's record with a verdict's detail changed, signature kept
            "altered": other.read_bytes().replace(b"\n", b"\n ", 1),
        }
        for what, data in forgeries.items():
            other.write_bytes(data)
            shutil.rmtree(edited / ".lockgate")
            run = lockgate("align", edited, "--json", "-q", env=setup.env())
            assert SERVED not in run.stderr, what
            assert run.json["summary"]["cache"]["remote_errors"] >= 1, what
            assert "failed verification" in run.stderr, what
            assert verdicts(run) == verdicts(fresh), what
        # signed with another secret: refused by a reader holding the right one
        clone = setup.clone(tmp_path / "wrong")
        record.write_bytes(b"0" * 64 + good[good.index(b"\n") :])
        run = lockgate("align", clone, "--json", "-q", env=setup.env())
        assert SERVED not in run.stderr and "failed verification" in run.stderr
        assert verdicts(run) == verdicts(setup.first)
    finally:
        record.write_bytes(good)
