"""The kernel's view of a place (issue 21): real inotify watches, real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lockgate.execution.placewatch import SENTINEL, PlaceWatch, folders_of

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="inotify is Linux's")


def place(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "place"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text("X = 1\n")
    (root / "data.txt").write_text("1\n")
    attempt = tmp_path / "attempt"
    attempt.mkdir()
    (attempt / SENTINEL).touch()
    return root, attempt / SENTINEL


def test_it_counts_every_open_after_the_sentinel_by_any_process(tmp_path: Path) -> None:
    root, sentinel = place(tmp_path)
    folders = folders_of(root, ["pkg/mod.py", "data.txt", "pkg/gone/x.py"])
    assert folders == [str(root), str(root / "pkg"), str(root / "pkg" / "gone")]
    watch = PlaceWatch(folders, sentinel)
    (root / "data.txt").read_text()  # before the sentinel: the interpreter's start, unseen
    sentinel.read_bytes()
    for _ in range(2):  # one process's open, close and open again: two opens, not one
        (root / "pkg" / "mod.py").read_text()
    os.listdir(root / "pkg")  # a folder's open counts once, at its own watch
    subprocess.run(["cat", str(root / "data.txt")], check=True, capture_output=True)
    subprocess.run(["rm", str(root / "pkg" / "mod.py")], check=True)
    (root / "new.txt").write_text("made")
    watch.stop()
    assert watch.doubt is None
    assert watch.opens == {
        str(root / "pkg" / "mod.py"): 2,
        str(root / "pkg"): 1,
        str(root / "data.txt"): 1,
        str(root / "new.txt"): 1,
    }
    assert watch.changes == {str(root / "pkg" / "mod.py"), str(root / "new.txt")}


def test_a_child_that_never_opened_the_sentinel_proves_nothing(tmp_path: Path) -> None:
    root, sentinel = place(tmp_path)
    watch = PlaceWatch(folders_of(root, ["data.txt"]), sentinel)
    watch.stop()
    assert watch.doubt == "the test process never said it was counting"


def test_a_watched_folder_that_goes_away_is_doubt(tmp_path: Path) -> None:
    root, sentinel = place(tmp_path)
    watch = PlaceWatch(folders_of(root, ["pkg/mod.py"]), sentinel)
    sentinel.read_bytes()
    (root / "pkg" / "mod.py").unlink()
    (root / "pkg").rmdir()
    watch.stop()
    assert watch.doubt == f"the watch of {root / 'pkg'} ended (the folder went away)"
