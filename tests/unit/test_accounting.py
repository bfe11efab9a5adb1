"""The kernel's opens and changes in a place against the test process's own counts (issue 21):
a process a test started read or wrote the project exactly when the counts fall short."""

from __future__ import annotations

import os
from pathlib import Path

from lockgate.execution.accounting import Counts, unaccounted
from lockgate.execution.child.opencount import Ledger


def counts(*reports: dict[str, object] | None) -> Counts:
    found = Counts()
    for n, report in enumerate(reports):
        found.add(report, f"process {n}")
    return found


def test_opens_the_test_processes_account_for_are_theirs() -> None:
    # the test process opened mod.py before forking; a fork opened it again, and the folder
    parent = {"opened": {"/p/mod.py": 1}, "changed": [], "unknown": False}
    fork = {"opened": {"/p/mod.py": 1, "/p": 2}, "changed": ["/p/out.txt"], "unknown": False}
    both = counts(parent, fork)
    assert unaccounted({"/p/mod.py": 2, "/p": 2}, ["/p/out.txt"], both) is None
    # an open that failed raised its audit event but no kernel event: fewer is fine
    assert unaccounted({"/p/mod.py": 1}, [], both) is None


def test_one_open_more_than_counted_is_another_process() -> None:
    # `python -c "import mod"` opens the same file the test process did: counts, not sets
    seen = counts({"opened": {"/p/mod.py": 1}, "changed": [], "unknown": False})
    why = unaccounted({"/p/mod.py": 2}, [], seen)
    assert why == "/p/mod.py was opened 2 times, 1 by the test process"
    assert unaccounted({"/p/data.txt": 1}, [], seen) == (
        "/p/data.txt was opened 1 times, 0 by the test process"
    )


def test_a_change_the_test_processes_did_not_make_is_another_process() -> None:
    # `rm` opens nothing: its removal is a change no count explains
    seen = counts({"opened": {}, "changed": ["/p/made.txt"], "unknown": False})
    assert unaccounted({}, ["/p/made.txt"], seen) is None
    assert unaccounted({}, ["/p/scratch.txt"], seen) == (
        "/p/scratch.txt was changed by another process than the test process"
    )


def test_counts_that_prove_nothing_are_doubt() -> None:
    assert unaccounted({}, [], counts(None)) == "process 0 reported no open counts"
    unnamed = {"opened": {}, "changed": [], "unknown": True}
    assert unaccounted({}, [], counts(unnamed)) == "process 0 opened a path it could not name"
    malformed = {"opened": [], "changed": []}
    assert unaccounted({}, [], counts(malformed)) == "process 0 reported no open counts"


def test_the_ledger_counts_opens_listings_and_changes_under_its_root(tmp_path: Path) -> None:
    root = tmp_path / "place"
    root.mkdir()
    ledger = Ledger()
    ledger.note("open", (str(root / "a.py"), "r", os.O_RDONLY), None)  # not counting yet
    ledger.count_under(str(root))
    ledger.note("open", (str(root / "a.py"), "r", os.O_RDONLY), None)
    ledger.note("open", (str(root / "a.py"), "rb", os.O_RDONLY), None)
    ledger.note("open", (str(tmp_path / "outside.py"), "r", os.O_RDONLY), None)
    ledger.note("open", (3, "r", os.O_RDONLY), None)  # a descriptor: no new open
    ledger.note("os.listdir", (str(root),), None)
    ledger.note("open", (str(root / "b.txt"), "w", os.O_WRONLY | os.O_CREAT), None)
    ledger.note("os.rename", (str(root / "b.txt"), str(root / "c.txt"), -1, -1), None)
    ledger.note("os.remove", (str(root / "d.txt"), -1), None)
    assert ledger.report() == {
        "opened": {str(root / "a.py"): 2, str(root): 1, str(root / "b.txt"): 1},
        "changed": sorted(str(root / n) for n in ("b.txt", "c.txt", "d.txt")),
        "unknown": False,
    }
    ledger.reset()  # a fork: its own opens only
    assert ledger.report() == {"opened": {}, "changed": [], "unknown": False}
