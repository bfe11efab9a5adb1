"""Change detection: an in-place edit whose size and mtime were put back is still seen."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, aligned_copy, lockgate


def outcome(run: Run) -> dict[str, Any]:
    """What a user reads from a run, without what depends on the store (cached, seconds)."""
    assert run.code == 0, run.stderr
    return {
        f["id"]: (
            f["score"],
            {name: (layer["passed"], layer["detail"]) for name, layer in f["layers"].items()},
        )
        for f in run.json["features"]
    }


def _same_size(old: str, new: str) -> Callable[[bytes], bytes]:
    assert len(old) == len(new)

    def edit(data: bytes) -> bytes:
        assert old.encode() in data
        return data.replace(old.encode(), new.encode(), 1)

    return edit


# Each edit keeps the size and changes a verdict.
EDITS = {
    # the class docstring becomes blank: documented fails
    "feature module": (
        "src/shop/features/cart.py",
        _same_size('"""Keeps line items and totals them."""', '"""' + " " * 33 + '"""'),
    ),
    # the expected total changes: tested fails
    "test file": ("tests/test_cart.py", _same_size('== "21.00"', '== "21.01"')),
    # the guide gets a placeholder: documented fails
    "guide": ("docs/guides/cart-service.md", _same_size("collects", "TODO it ")),
}


def _age_every_file(root: Path, seconds: float) -> None:
    """Date every file back, so that no stat is inside the racy window when it is hashed."""
    stamp = time.time_ns() - int(seconds * 1e9)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            os.utime(os.path.join(dirpath, name), ns=(stamp, stamp))


@pytest.mark.parametrize("path_taken", ["no-change path", "keyed path"])
@pytest.mark.parametrize("what", sorted(EDITS))
def test_same_size_edit_with_mtime_put_back_is_seen(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, what: str, path_taken: str
) -> None:
    # The store already holds the cold run's results (one cold run for all six cases): `first`
    # reuses them, re-hashes every file of the copy and records the stats and the snapshot the
    # edit below must see past, as a cold run would.
    root = aligned_copy("basic", tmp_path, tmp_path_factory)
    _age_every_file(root, 3600)
    first = lockgate("align", root, "--json")
    assert first.code == 0, first.stderr
    rel, edit = EDITS[what]
    target = root / rel
    before = target.stat()
    target.write_bytes(edit(target.read_bytes()))  # in place: same inode, same size
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = target.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    if path_taken == "keyed path":
        # A real change elsewhere sends the run past the snapshot, to the per-file stat cache.
        misc = root / "tests/test_misc.py"
        misc.write_text(misc.read_text() + "\n# touched\n")
    # A fresh bytecode cache: the stale-bytecode weakness (same mtime, same size) is another
    # mechanism's to close; this test is about the store's change detection alone.
    fresh = {"XDG_CACHE_HOME": str(tmp_path / "fresh-bytecode")}
    incremental = lockgate("align", root, "--json", env=fresh)
    reference = lockgate("align", root, "--json", "--no-cache", env=fresh)
    assert outcome(incremental) == outcome(reference)
    assert outcome(incremental) != outcome(first)


def test_files_touched_or_just_written_are_read_again_by_the_no_change_path(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Whether a run is served by the no-change path does not depend on how soon after a
    write it runs, nor on a checkout that touched files without changing them; an edit of the
    same size made in that window is still seen."""
    root = aligned_copy("basic", tmp_path, tmp_path_factory)
    assert lockgate("align", root).code == 0
    # every file touched now: each stat moved, and each is inside the racy window
    stamp = time.time_ns()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            os.utime(os.path.join(dirpath, name), ns=(stamp, stamp))
    served = lockgate("align", root)
    assert served.code == 0, served.stderr
    assert "nothing changed: reused" in served.stderr
    rel, edit = EDITS["test file"]
    target = root / rel
    target.write_bytes(edit(target.read_bytes()))
    os.utime(target, ns=(stamp, stamp))
    fresh = {"XDG_CACHE_HOME": str(tmp_path / "fresh-bytecode")}
    edited = lockgate("align", root, "--json", env=fresh)
    assert "nothing changed" not in edited.stderr
    assert outcome(edited) == outcome(lockgate("align", root, "--json", "--no-cache", env=fresh))
