"""Edits and their reverts (issue 18): a tree that has been validated once is served whole again.

A result's key hashes its static inputs; what its run observed beyond them (a data file a test
reads, the helper bodies it executed under block keys) is stored with it and must still hold.
An edit of such a content re-runs the result under the same key; reverting the edit must find
the result of the original content again, not re-run it a second time.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import Run, as_schema_9, copy_project, isolated_env, lockgate

RECEIPT_TEST = (
    "\n\ndef test_receipt_is_not_void():\n"
    "    from pathlib import Path\n\n"
    '    assert "VOID" not in (Path(__file__).parent / "receipt.txt").read_text()\n'
)
FMT = 'return f"{value // 100}.{value % 100:02d}"'
FMT_OTHER = 'return "%d.%02d" % (value // 100, value % 100)'  # the same result, another body


def _align(root: Path, *flags: str) -> Run:
    run = lockgate("align", root, "--json", "--quiet", *flags)
    assert run.code == 0, run.stderr
    return run


def verdicts(run: Run) -> dict[tuple[str, str], tuple[bool, str]]:
    return {
        (f["name"], layer): (v["passed"], v["detail"])
        for f in run.json["features"]
        for layer, v in f["layers"].items()
    }


def rerun(run: Run) -> set[tuple[str, str]]:
    return {
        (f["name"], layer)
        for f in run.json["features"]
        for layer, v in f["layers"].items()
        if not v["cached"]
    }


def misses(run: Run) -> int:
    return int(run.json["summary"]["cache"]["misses"])


def replace(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, f"{rel} has no {old!r}"
    path.write_text(text.replace(old, new, 1))


def receipt_project(tmp_path: Path) -> Path:
    """The basic scenario, with a test of CartService that reads a data file no import names."""
    root = copy_project("basic", tmp_path)
    test = root / "tests/test_cart.py"
    test.write_text(test.read_text() + RECEIPT_TEST)
    (root / "tests/receipt.txt").write_text("paid\n")
    return root


@pytest.fixture(scope="module")
def receipt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The receipt scenario after one cold run for the module: each test copies it
    (``aligned_receipt``), and its first run reuses that."""
    with isolated_env(tmp_path_factory):
        root = receipt_project(tmp_path_factory.mktemp("receipt"))
        _align(root)
    return root


def aligned_receipt(tmp_path: Path, receipt: Path) -> Path:
    """A fresh copy of the aligned receipt scenario, its store included."""
    return Path(shutil.copytree(receipt, tmp_path / receipt.name, symlinks=True))


def served_whole(root: Path, before: Run) -> Run:
    """The next run re-runs nothing, and its verdicts are those of ``before`` and --no-cache."""
    back = _align(root)
    assert misses(back) == 0, sorted(rerun(back))
    assert verdicts(back) == verdicts(before)
    assert verdicts(back) == verdicts(_align(root, "--no-cache"))
    return back


def test_a_data_file_edited_then_reverted_is_served_whole(tmp_path: Path, receipt: Path) -> None:
    root = aligned_receipt(tmp_path, receipt)
    first = _align(root)
    assert first.layer("CartService", "tested")["passed"] is True

    (root / "tests/receipt.txt").write_text("VOID, paid back\n")
    edited = _align(root)
    assert rerun(edited) == {("CartService", "tested")}
    assert edited.layer("CartService", "tested")["passed"] is False

    (root / "tests/receipt.txt").write_text("paid\n")
    served_whole(root, first)
    # and the edit once more: its result is stored beside the original's
    (root / "tests/receipt.txt").write_text("VOID, paid back\n")
    served_whole(root, edited)


def test_a_helper_body_edited_then_reverted_is_served_whole(tmp_path: Path) -> None:
    """Block keys: the tested key holds util.py's module-level code; the body of `add` is an
    extra of the tests that executed it."""
    root = copy_project("blockkeys", tmp_path)
    first = _align(root)
    replace(root, "src/shop/util.py", "return a + b", "return a + b + 1")
    edited = _align(root)
    assert ("AddService", "tested") in rerun(edited)
    assert edited.layer("AddService", "tested")["passed"] is False

    replace(root, "src/shop/util.py", "return a + b + 1", "return a + b")
    served_whole(root, first)


def test_two_edits_then_back_to_the_first_then_to_the_original(
    tmp_path: Path, receipt: Path
) -> None:
    """Original → A → B → A → original: each state validated once is served whole again."""
    root = aligned_receipt(tmp_path, receipt)
    original = _align(root)

    (root / "tests/receipt.txt").write_text("VOID\n")  # A
    a = _align(root)
    assert rerun(a) == {("CartService", "tested")}

    (root / "tests/receipt.txt").write_text("paid in full\n")  # B: the data and a helper body
    replace(root, "src/shop/money.py", FMT, FMT_OTHER)
    b = _align(root)
    assert ("CartService", "tested") in rerun(b)
    assert b.layer("CartService", "tested")["passed"] is True

    (root / "tests/receipt.txt").write_text("VOID\n")  # back to A
    replace(root, "src/shop/money.py", FMT_OTHER, FMT)
    served_whole(root, a)

    (root / "tests/receipt.txt").write_text("paid\n")  # back to the original
    served_whole(root, original)


def test_the_store_keeps_working_with_several_results_per_key(
    tmp_path: Path, receipt: Path
) -> None:
    """`cache stats`, `cache health` and `cache clear --stale` count and keep every content of
    a current key: what a revert would be served is not stale."""
    root = aligned_receipt(tmp_path, receipt)
    first = _align(root)
    (root / "tests/receipt.txt").write_text("VOID\n")
    _align(root)
    (root / "tests/receipt.txt").write_text("paid\n")

    entries = lockgate("cache", "stats", root, "--json").json["layers"]
    tested = {r["layer"]: r["entries"] for r in entries}["tested"]
    assert tested == 4  # three features, and CartService's two contents
    health = lockgate("cache", "health", root, "--json")
    assert health.code == 0 and health.json["status"] == "healthy", health.stdout
    cleared = lockgate("cache", "clear", root, "--stale", "--json")
    assert cleared.json == {"removed": 0}, cleared.stdout
    served_whole(root, first)


# The results table as schema 6 made it: one row per key.
SCHEMA_6_RESULTS = """CREATE TABLE results (
    key TEXT PRIMARY KEY, layer TEXT NOT NULL, feature TEXT NOT NULL,
    passed INTEGER NOT NULL, detail TEXT NOT NULL, seconds REAL NOT NULL,
    extras TEXT NOT NULL, inputs BLOB NOT NULL, created REAL NOT NULL, marks TEXT NOT NULL,
    checksum TEXT NOT NULL
)"""
SCHEMA_6_COLUMNS = (
    "key, layer, feature, passed, detail, seconds, extras, inputs, created, marks, checksum"
)


def as_schema_6(conn: sqlite3.Connection) -> None:
    """Turn a store holding one result per key into the store lockgate's schema 6 left."""
    as_schema_9(conn)
    conn.execute("ALTER TABLE results RENAME TO results_7")
    conn.execute(SCHEMA_6_RESULTS)
    conn.execute(f"INSERT INTO results SELECT {SCHEMA_6_COLUMNS} FROM results_7")
    conn.execute("DROP TABLE results_7")
    conn.execute("ALTER TABLE latest DROP COLUMN variant")
    # and the run history without the audit's counts, which schema 8 added after the variants
    conn.execute("ALTER TABLE runs DROP COLUMN audited")
    conn.execute("ALTER TABLE runs DROP COLUMN audit_mismatches")
    conn.execute("PRAGMA user_version = 6")


def test_a_store_of_schema_6_keeps_its_results_and_then_keeps_several_per_key(
    tmp_path: Path, receipt: Path
) -> None:
    root = aligned_receipt(tmp_path, receipt)
    first = _align(root)
    with sqlite3.connect(root / ".lockgate" / "store.sqlite") as conn:
        as_schema_6(conn)
    (root / "tests/receipt.txt").write_text("VOID\n")
    guide = root / "docs/guides/cart-service.md"
    kept = guide.read_text()
    guide.write_text(kept + "\nOne more line.\n")
    edited = _align(root)
    assert edited.stderr == ""  # not set aside
    assert rerun(edited) == {("CartService", "tested"), ("CartService", "documented")}
    # `latest` names the migrated result's variant: `why` compares with its inputs
    assert edited.layer("CartService", "documented")["reason"] == (
        "inputs differ from the last stored result: file changed docs/guides/cart-service.md"
    )
    health = lockgate("cache", "health", root, "--json")
    assert health.code == 0 and health.json["status"] == "healthy", health.stdout
    (root / "tests/receipt.txt").write_text("paid\n")
    guide.write_text(kept)
    served_whole(root, first)
    assert not list((root / ".lockgate").glob("store.sqlite.damaged-*"))
