"""Keeping the store sound and small: integrity checks, verification of every row, removal
of rows and results, and a rebuild that copies what is sound into a new file."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from lockgate.store import schema
from lockgate.store.db import (
    DB_NAME,
    Database,
    DatabaseError,
    chunks,
    connect,
    create_tables,
    transaction,
)
from lockgate.store.results import decodes


def integrity(db: Database) -> list[str]:
    """``PRAGMA integrity_check`` messages; ``["ok"]`` for a sound file."""
    return [row[0] for row in db.execute("PRAGMA integrity_check")]


def schema_version(db: Database) -> int:
    """``PRAGMA user_version``."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def unsound(db: Database, secret: bytes) -> dict[str, list[int]]:
    """Per signed table, the rowids of rows that fail verification or cannot be read."""
    bad: dict[str, list[int]] = {}
    for table in schema.SIGNED:
        for rowid, row in _readable_rows(db, table, schema.COLUMNS[table]):
            if not schema.sound(secret, table, row) or (table == "results" and not decodes(row)):
                bad.setdefault(table, []).append(rowid)
    return bad


def orphaned_latest(db: Database) -> int:
    """``latest`` rows that point at no stored result."""
    return int(
        db.execute(
            "SELECT count(*) FROM latest WHERE key NOT IN (SELECT key FROM results)"
        ).fetchone()[0]
    )


def result_keys(db: Database) -> list[str]:
    """Every stored result key."""
    return [row[0] for row in db.execute("SELECT key FROM results")]


def older_than(db: Database, stamp: float) -> list[str]:
    """Keys of results stored before ``stamp``."""
    return [r[0] for r in db.execute("SELECT key FROM results WHERE created < ?", (stamp,))]


def clear(db: Database) -> None:
    """Remove every stored row."""
    db.require_writable()
    with db.transaction():
        for table in schema.ALL:
            db.execute(f"DELETE FROM {table}")


def drop(db: Database, rows: dict[str, list[int]]) -> None:
    """Remove the given rows (by table and rowid), and what points at removed results."""
    db.require_writable()
    with db.transaction():
        for table, rowids in rows.items():
            for chunk in chunks(rowids):
                marks = ",".join("?" * len(chunk))
                db.execute(f"DELETE FROM {table} WHERE rowid IN ({marks})", chunk)
        if rows.get("results"):
            db.execute("DELETE FROM snapshot")
            db.execute("DELETE FROM latest WHERE key NOT IN (SELECT key FROM results)")


def delete(db: Database, keys: Iterable[str]) -> int:
    """Remove results (and what points at them); return how many were removed."""
    db.require_writable()
    removed = 0
    with db.transaction():
        for chunk in chunks(list(keys)):
            marks = ",".join("?" * len(chunk))
            removed += db.execute(f"DELETE FROM results WHERE key IN ({marks})", chunk).rowcount
        # the recorded full run may name removed results: never serve it again
        db.execute("DELETE FROM snapshot")
        db.execute("DELETE FROM latest WHERE key NOT IN (SELECT key FROM results)")
    return removed


def vacuum(db: Database) -> None:
    """Give the space of removed rows back to the file system."""
    db.require_writable()
    db.execute("VACUUM")


def rebuild(db: Database, secret: bytes) -> tuple[int, int]:
    """Copy every sound row into a new database file that replaces this one.

    Returns (results kept, results dropped). Rows that cannot be read or fail verification
    are dropped; so is the snapshot, which the next full run records again.
    """
    db.require_writable()
    fresh_path = db.folder / f"{DB_NAME}.rebuild-{os.getpid()}"
    fresh_path.unlink(missing_ok=True)
    kept = dropped = 0
    try:
        found = unsound(db, secret)
    except DatabaseError:
        found = {}
    bad = {table: set(rowids) for table, rowids in found.items()}
    fresh = connect(fresh_path)
    try:
        with transaction(fresh):
            create_tables(fresh, stamp=True)
            for table in ("stat", "facts", "results", "latest", "envs", "runs"):
                for rowid, row in _readable_rows(db, table, schema.COLUMNS.get(table, "*")):
                    sound = table not in schema.SIGNED or (
                        rowid not in bad.get(table, ()) and schema.sound(secret, table, row)
                    )
                    if table == "results":
                        kept, dropped = (kept + 1, dropped) if sound else (kept, dropped + 1)
                    if sound:
                        marks = ",".join("?" * len(row))
                        fresh.execute(f"INSERT OR IGNORE INTO {table} VALUES ({marks})", row)
    finally:
        fresh.close()
    db.replace_file(fresh_path)
    return kept, dropped


def _readable_rows(db: Database, table: str, columns: str) -> list[tuple[int, tuple[Any, ...]]]:
    """(rowid, row) of ``table`` read one rowid at a time, skipping rows damage made unreadable."""
    try:
        ids = [r[0] for r in db.execute(f"SELECT rowid FROM {table}")]
    except DatabaseError:
        return []
    rows = []
    for rowid in ids:
        try:
            row = db.execute(f"SELECT {columns} FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
        except DatabaseError:
            continue
        if row is not None:
            rows.append((rowid, tuple(row)))
    return rows
