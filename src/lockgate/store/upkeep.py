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
        for rowid, row in _readable_rows(db, table, _columns(table)):
            if not _sound(secret, table, row):
                bad.setdefault(table, []).append(rowid)
    return bad


def _columns(table: str) -> str:
    """The columns of ``table`` as read to check and copy it: a result's signed columns, its
    MAC, then its variant and ``used``; any other table's signed columns and MAC."""
    if table == "results":
        return f"{schema.COLUMNS['results']}, variant, used"
    return schema.COLUMNS[table]


def _sound(secret: bytes, table: str, row: tuple[Any, ...]) -> bool:
    """A row read as :func:`_columns` gives it: signed by this user, unaltered, readable, and a
    result filed under the variant of its extras."""
    if table != "results":
        return schema.sound(secret, table, row)
    signed = row[:-2]
    return (
        schema.sound(secret, table, signed)
        and schema.consistent(signed, row[-2])
        and decodes(signed)
    )


def orphaned_latest(db: Database) -> int:
    """``latest`` rows that point at no stored result."""
    return int(db.execute(f"SELECT count(*) FROM latest WHERE {_POINTS_NOWHERE}").fetchone()[0])


def result_keys(db: Database) -> list[str]:
    """The key of every stored result (a key once per variant)."""
    return [row[0] for row in db.execute("SELECT key FROM results")]


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
            db.execute(f"DELETE FROM latest WHERE {_POINTS_NOWHERE}")


def delete(db: Database, keys: Iterable[str]) -> int:
    """Remove results, every variant of each key (and what points at them); return how many
    were removed."""
    db.require_writable()
    removed = 0
    with db.transaction():
        for chunk in chunks(list(keys)):
            marks = ",".join("?" * len(chunk))
            removed += db.execute(f"DELETE FROM results WHERE key IN ({marks})", chunk).rowcount
        _forget_removed(db)
    return removed


def prune(db: Database, stamp: float) -> int:
    """Remove the results created before ``stamp`` (a key's newer variants stay); return how
    many were removed."""
    db.require_writable()
    with db.transaction():
        removed = int(db.execute("DELETE FROM results WHERE created < ?", (stamp,)).rowcount)
        _forget_removed(db)
    return removed


# a `latest` row whose result (key and variant) is not stored
_POINTS_NOWHERE = (
    "NOT EXISTS (SELECT 1 FROM results r WHERE r.key = latest.key AND r.variant = latest.variant)"
)


def _forget_removed(db: Database) -> None:
    """Drop what may point at removed results: the recorded full runs (never served again)
    and ``latest`` rows."""
    db.execute("DELETE FROM snapshot")
    db.execute(f"DELETE FROM latest WHERE {_POINTS_NOWHERE}")


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
            for table in ("stat", "facts", "results", "latest", "envs", "runs", "scores"):
                signed = table in schema.SIGNED
                columns = _columns(table) if signed else "*"
                named = f"({columns})" if signed else ""
                for rowid, row in _readable_rows(db, table, columns):
                    sound = not signed or (
                        rowid not in bad.get(table, ()) and _sound(secret, table, row)
                    )
                    if table == "results":
                        kept, dropped = (kept + 1, dropped) if sound else (kept, dropped + 1)
                    if sound:
                        marks = ",".join("?" * len(row))
                        fresh.execute(
                            f"INSERT OR IGNORE INTO {table} {named} VALUES ({marks})", row
                        )
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
