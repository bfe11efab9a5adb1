"""The score history: per commit, one signed, compressed row of every feature's score and
layer verdicts (what the trend and the new-code gate read). The encoding is
:mod:`lockgate.policy.history`'s; this module only stores rows."""

from __future__ import annotations

from lockgate.store import schema
from lockgate.store.db import Database, DatabaseError

ScoreRow = tuple[str, float, bytes]  # commit, when recorded, compressed data


def record(
    db: Database, secret: bytes, commit: str, recorded: float, data: bytes, drop: list[str]
) -> None:
    """Store ``data`` as ``commit``'s row recorded at ``recorded`` (replacing an older one) and
    delete the rows of the commits in ``drop`` (compaction), in one transaction."""
    if not db.writable:
        return
    row = (commit, recorded, data)
    try:
        with db.transaction():
            db.execute(
                f"INSERT OR REPLACE INTO scores ({schema.COLUMNS['scores']}) VALUES (?,?,?,?)",
                (*row, schema.mac(secret, "scores", row)),
            )
            db.executemany("DELETE FROM scores WHERE commit_id = ?", [(c,) for c in drop])
    except DatabaseError as exc:
        db.warnings.append(f"could not write the score history ({exc})")


def rows(db: Database, secret: bytes) -> list[ScoreRow]:
    """Every sound row, oldest first; a row that fails verification is left out."""
    try:
        found = db.execute(
            f"SELECT {schema.COLUMNS['scores']} FROM scores ORDER BY recorded"
        ).fetchall()
    except DatabaseError as exc:
        db.recover(exc)
        return []
    return [
        (str(r[0]), float(r[1]), bytes(r[2]))
        for r in found
        if isinstance(r[2], bytes) and schema.sound(secret, "scores", tuple(r))
    ]


def stamps(db: Database) -> list[tuple[str, float]]:
    """(commit, recorded) of every row, for compaction."""
    try:
        return [(str(c), float(t)) for c, t in db.execute("SELECT commit_id, recorded FROM scores")]
    except DatabaseError as exc:
        db.recover(exc)
        return []
