"""The store's results per key (issue 18), on a real SQLite file: one result per content its
runs observed beyond the key's inputs (a variant), newest first, bounded per key."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lockgate.store.schema import VARIANTS
from lockgate.store.store import NewResult, Store, variant_of

KEY = "k" * 32


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path)
    try:
        yield opened
    finally:
        opened.close()


def result(n: int, passed: bool = True, created: float | None = None, key: str = KEY) -> NewResult:
    """The result of a run that read ``data.txt`` in its ``n``-th content."""
    return NewResult(
        key=key,
        layer="tested",
        feature="app.F",
        passed=passed,
        detail=f"run {n}",
        seconds=0.5,
        extras={"data.txt": f"hash{n}"},
        inputs={"files": {"src/app.py": f"app{n}"}},
        created=created,
    )


def held(store: Store, key: str = KEY) -> list[str]:
    """The details of the key's results, in the order lookup gives them."""
    return [s.detail for s in store.lookup([key]).get(key, [])]


def test_a_key_keeps_one_result_per_content_newest_first(store: Store) -> None:
    store.write([result(1)], {}, {}, None)
    store.write([result(2, passed=False)], {}, {}, None)
    found = store.lookup([KEY])[KEY]
    assert [(s.detail, s.passed) for s in found] == [("run 2", False), ("run 1", True)]
    assert [s.variant for s in found] == [
        variant_of({"data.txt": "hash2"}),
        variant_of({"data.txt": "hash1"}),
    ]
    assert [s.extras for s in found] == [{"data.txt": "hash2"}, {"data.txt": "hash1"}]


def test_the_same_content_run_again_replaces_its_result(store: Store) -> None:
    store.write([result(1, passed=False)], {}, {}, None)
    store.write([result(2)], {}, {}, None)
    again = result(1)
    store.write([again], {}, {}, None)  # a re-check of the first content passed
    found = store.lookup([KEY])[KEY]
    assert [(s.extras["data.txt"], s.passed) for s in found] == [("hash1", True), ("hash2", True)]


def test_a_key_keeps_its_newest_variants_only(store: Store) -> None:
    for n in range(VARIANTS + 2):
        store.write([result(n)], {}, {}, None)
    assert held(store) == [f"run {n}" for n in reversed(range(2, VARIANTS + 2))]
    other = "o" * 32
    store.write([result(0, key=other)], {}, {}, None)
    assert held(store, other) == ["run 0"]  # another key's results are its own


def test_a_result_served_again_is_evicted_last(store: Store) -> None:
    for n in range(VARIANTS):
        store.write([result(n)], {}, {}, None)
    store.write([], {}, {}, None, served=[(KEY, variant_of({"data.txt": "hash0"}))])
    assert held(store)[0] == "run 0"
    store.write([result(VARIANTS)], {}, {}, None)
    found = held(store)
    assert found[:2] == [f"run {VARIANTS}", "run 0"]
    assert "run 1" not in found and len(found) == VARIANTS


def test_latest_is_the_last_result_stored_whichever_variant(store: Store) -> None:
    store.write([result(1)], {}, {}, None)
    store.write([result(2)], {}, {}, None)
    store.write([], {}, {}, None, served=[(KEY, variant_of({"data.txt": "hash1"}))])
    latest = store.latest_of({("app.F", "tested")})
    assert latest[("app.F", "tested")]["files"] == {"src/app.py": "app2"}
    assert store.orphaned_latest() == 0


def test_a_result_filed_under_another_variant_is_never_served(store: Store, tmp_path: Path) -> None:
    store.write([result(1)], {}, {}, None)
    store.write([result(2)], {}, {}, None)
    with sqlite3.connect(tmp_path / "store.sqlite") as conn:
        conn.execute(
            "UPDATE results SET variant = ? WHERE variant = ?",
            ("0" * 32, variant_of({"data.txt": "hash1"})),
        )
    assert held(store) == ["run 2"]
    assert {table: len(rows) for table, rows in store.unsound().items()} == {"results": 1}
    assert [r.detail for r in store.sound_results()] == ["run 2"]


def test_prune_removes_old_results_and_keeps_newer_ones_of_the_same_key(store: Store) -> None:
    old = time.time() - 3600
    store.write([result(1, created=old)], {}, {}, None)
    store.write([result(2)], {}, {}, None)
    assert store.prune(time.time() - 60) == 1
    assert held(store) == ["run 2"]
    assert store.orphaned_latest() == 0


def test_delete_and_rebuild_see_every_variant(store: Store) -> None:
    for n in range(3):
        store.write([result(n)], {}, {}, None)
    assert store.rebuild() == (3, 0)
    assert held(store) == ["run 2", "run 1", "run 0"]  # the order survives the copy
    assert sorted(store.result_keys()) == [KEY] * 3
    assert store.delete([KEY]) == 3
    assert held(store) == []
    assert store.orphaned_latest() == 0


def test_a_shared_folder_keeps_a_keys_newest_variants(tmp_path: Path) -> None:
    from lockgate.remote.file_backend import FileBackend

    backend = FileBackend(tmp_path)
    for n in range(VARIANTS + 2):
        backend.put_many({(KEY, f"variant{n:02d}"): f"entry {n}".encode()})
    backend.put_many({(KEY, "variant03"): b"entry 3 again"})  # written again: the newest
    newest = [b"entry 3 again", *(f"entry {n}".encode() for n in (9, 8, 7, 6, 5, 4, 2))]
    assert backend.get_many([KEY, "m" * 32]) == {KEY: newest}
    assert len(list((tmp_path / KEY[:2] / f"{KEY}.v").iterdir())) == VARIANTS
