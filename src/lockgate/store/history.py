"""What the store remembers of past runs: their statistics, why their layers re-ran, and the
size and age of what they stored (``cache stats``, ``cache check``, ``why --last``)."""

from __future__ import annotations

import json
import time
import zlib
from typing import Any

from lockgate.store import schema
from lockgate.store.db import Database, DatabaseError

Run = tuple[float, str, int, int, float, float, int, float | None, int, int]


def record_run(
    db: Database,
    command: str,
    hits: int,
    misses: int,
    seconds: float,
    saved: float,
    scope: str,
    mean_score: float | None = None,
    remote_hits: int = 0,
) -> None:
    """Add one run to the statistics (``mean_score`` None: the run scored no feature;
    ``remote_hits``: of the hits, those the remote served)."""
    if not db.writable:
        return
    try:
        with db.transaction():
            db.execute(
                "INSERT INTO runs (started, command, hits, misses, seconds, saved, scope, "
                "mean_score, remote_hits) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    time.time(),
                    command,
                    hits,
                    misses,
                    seconds,
                    saved,
                    scope,
                    mean_score,
                    remote_hits,
                ),
            )
    except DatabaseError as exc:
        db.warnings.append(f"could not write the store ({exc})")


def last_run(db: Database) -> tuple[int, float, str, int, int, float, str | None] | None:
    """The newest run: (id, started, command, hits, misses, seconds, scope)."""
    try:
        row = db.execute(
            "SELECT id, started, command, hits, misses, seconds, scope FROM runs "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
    except DatabaseError as exc:
        db.recover(exc)
        return None
    return tuple(row) if row is not None else None


def next_run(db: Database) -> int:
    """The number the next run will have: one more than the newest run's (1 for the first)."""
    try:
        row = db.execute("SELECT max(id) FROM runs").fetchone()
    except DatabaseError as exc:
        db.recover(exc)
        return 1
    return int(row[0] or 0) + 1


def runs(db: Database, limit: int) -> list[Run]:
    """The last runs, newest first: (started, command, hits, misses, seconds, saved,
    remote hits: how many of the hits the remote served, mean score or None, results
    audited, audit mismatches)."""
    return list(
        db.execute(
            "SELECT started, command, hits, misses, seconds, saved, remote_hits, mean_score, "
            "audited, audit_mismatches FROM runs "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
    )


def reasons(db: Database, secret: bytes, scope: str) -> tuple[int, dict[str, Any]] | None:
    """The run id and record of why layers re-ran, of the last full run of ``scope``."""
    try:
        row = db.execute(
            f"SELECT {schema.COLUMNS['reasons']} FROM reasons WHERE scope = ?", (scope,)
        ).fetchone()
        if row is None or not schema.sound(secret, "reasons", row):
            return None
        return int(row[1]), json.loads(zlib.decompress(row[2]))
    except (DatabaseError, ValueError, zlib.error):
        return None  # an unreadable record only means the reasons cannot be told


def layer_sizes(db: Database) -> list[tuple[str, int, int]]:
    """(layer, entries, bytes) per layer."""
    return [
        (layer, count, size or 0)
        for layer, count, size in db.execute(
            "SELECT layer, count(*), sum(length(detail) + length(pieces) + length(inputs)) "
            "FROM results GROUP BY layer ORDER BY layer"
        )
    ]


def result_ages(db: Database) -> list[float]:
    """The creation time of every stored result."""
    return [row[0] for row in db.execute("SELECT created FROM results")]
