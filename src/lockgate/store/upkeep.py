"""Keeping the store sound and small: integrity checks, verification of every row, removal
of rows and results, and a rebuild that copies what is sound into a new file."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from lockgate.store import pieces, schema
from lockgate.store.db import (
    DB_NAME,
    Database,
    DatabaseError,
    chunks,
    connect,
    create_tables,
    transaction,
)
from lockgate.store.results import decodes, signed_fact, signed_row


def integrity(db: Database) -> list[str]:
    """``PRAGMA integrity_check`` messages; ``["ok"]`` for a sound file."""
    return [row[0] for row in db.execute("PRAGMA integrity_check")]


def schema_version(db: Database) -> int:
    """``PRAGMA user_version``."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def unsound(db: Database, secret: bytes) -> dict[str, list[int]]:
    """Per signed table, the rowids of rows that fail verification or cannot be read (a
    result among them when a piece of its extras is missing or damaged); and the pieces
    whose bytes do not match their digest."""
    bad: dict[str, list[int]] = {}
    reader = pieces.Reader(db)
    for table in schema.SIGNED:
        for rowid, row in _readable_rows(db, table, _columns(table)):
            if not _sound(secret, table, row, reader):
                bad.setdefault(table, []).append(rowid)
    with_damage = pieces.damaged(db)
    if with_damage:
        bad["pieces"] = with_damage
    return bad


def _columns(table: str) -> str:
    """The columns of ``table`` as read to check and copy it: a result's signed columns, its
    MAC, then its variant and ``used``; any other table's signed columns and MAC."""
    if table == "results":
        return f"{schema.COLUMNS['results']}, variant, used"
    return schema.COLUMNS[table]


def _sound(secret: bytes, table: str, row: tuple[Any, ...], reader: pieces.Reader) -> bool:
    """A row read as :func:`_columns` gives it: signed by this user, unaltered, readable, and a
    result filed under the variant of its extras, every piece of them intact."""
    if table == "facts":
        fact = signed_fact(row)
        return fact is not None and schema.sound(secret, table, fact)
    if table != "results":
        return schema.sound(secret, table, row)
    try:
        signed = signed_row(reader, row[:-2])
    except DatabaseError:
        return False
    return (
        signed is not None
        and schema.sound(secret, table, signed)
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
        if rows.get("results") or rows.get("pieces"):
            pieces.collect(db)


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
    pieces.collect(db)


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
    reader = pieces.Reader(db)
    fresh = connect(fresh_path)
    try:
        with transaction(fresh):
            create_tables(fresh, stamp=True)
            for _, (name, data) in _readable_rows(db, "pieces", "digest, data"):
                if pieces.intact(name, data) is not None:
                    fresh.execute("INSERT OR IGNORE INTO pieces VALUES (?, ?)", (name, data))
            for table in ("stat", "facts", "results", "latest", "envs", "runs", "scores"):
                signed = table in schema.SIGNED
                columns = _columns(table) if signed else "*"
                named = f"({columns})" if signed else ""
                for rowid, row in _readable_rows(db, table, columns):
                    sound = not signed or (
                        rowid not in bad.get(table, ()) and _sound(secret, table, row, reader)
                    )
                    if table == "results":
                        kept, dropped = (kept + 1, dropped) if sound else (kept, dropped + 1)
                    if sound:
                        marks = ",".join("?" * len(row))
                        fresh.execute(
                            f"INSERT OR IGNORE INTO {table} {named} VALUES ({marks})", row
                        )
            pieces.collect(fresh)
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
