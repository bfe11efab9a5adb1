"""Time saved is what the reused work took, measured once (issue 21: `cache stats` claimed
35,488 s saved by a run whose cold equivalent took 461 s)."""

from __future__ import annotations

from pathlib import Path

from conftest import copy_project, lockgate

SHARED = 20  # features whose tested layer reads the one slow test file

MANY = "\n\n".join(
    f'class Shared{n}Service:\n    """Shared number {n}."""\n\n    def value(self) -> int:\n'
    f'        """Its number."""\n        return {n}\n'
    for n in range(SHARED)
)
TEST = """
import time

from shop.features import many


def test_every_service():
    time.sleep(3)
    assert [getattr(many, f"Shared{n}Service")().value() for n in range(20)] == list(range(20))
"""


def test_a_test_file_read_by_many_features_counts_once(tmp_path: Path) -> None:
    root = copy_project("basic", tmp_path / "shop", commit=False)
    (root / "src/shop/features/many.py").write_text('"""Many services."""\n\n\n' + MANY)
    (root / "tests/test_many.py").write_text(TEST)
    cold = lockgate("align", "--json", "--jobs", "1", root)
    assert cold.code in (0, 1), cold.stderr
    shared = [
        f["layers"]["tested"]["seconds"]
        for f in cold.json["features"]
        if f["name"].startswith("Shared")
    ]
    assert len(shared) == SHARED
    # the file ran once, for at least 3 s: the features' shares add up to its time, which
    # the whole run's wall time holds (counted per reader, they added up to 60 s and more)
    assert 3.0 <= sum(shared) <= cold.json["summary"]["seconds"]
    again = lockgate("align", "--json", root)
    assert again.json["summary"]["cache"]["misses"] == 0
    stats = lockgate("cache", "stats", "--json", root)
    assert stats.code == 0, stats.stderr
    newest = stats.json["runs"][0]
    # the import workers and the test batch run side by side: at most twice the wall time
    assert newest["saved"] <= cold.json["summary"]["seconds"] * 2
