"""Results and what reusing them reads: lookup by key, the latest per layer, the stat cache,
facts, environments, the no-change snapshot, and the one transaction that writes a run.

Every read verifies each signed row with the user's secret; a row that fails is a miss. A
read that fails outright goes to :meth:`Database.recover` and answers as an empty store.
"""

from __future__ import annotations

import contextlib
import json
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lockgate.store import pieces, schema
from lockgate.store.db import Database, DatabaseError, chunks


@dataclass(frozen=True)
class Stored:
    """A stored layer result, as found by its key."""

    key: str
    passed: bool
    detail: str
    seconds: float
    extras: dict[str, str | None]  # files observed at run time → their hash then
    created: float  # when it was stored (seconds since the epoch)
    marks: frozenset[str] = frozenset()  # "load_dependent", "flaky"
    variant: str = ""  # the digest of its extras: which of the key's results it is


@dataclass(frozen=True)
class NewResult:
    """A layer result to store, with the inputs that made its key."""

    key: str
    layer: str
    feature: str
    passed: bool
    detail: str
    seconds: float
    extras: dict[str, str | None]
    inputs: dict[str, Any]
    # when it was first validated: a copy from the remote keeps it, so a result that goes
    # stale with time (performance) is not made young again by copying
    created: float | None = None
    marks: frozenset[str] = frozenset()


@dataclass(frozen=True)
class StatRow:
    """What the stat cache knows about one file."""

    size: int
    mtime_ns: int
    ctime_ns: int  # cannot be set back: an in-place edit with its mtime restored still moves it
    inode: int
    recorded_ns: int
    hash: str


# A run as ``write`` records it: (command, hits, misses, seconds, saved, scope, remote hits,
# mean score or None).
# (command, hits, misses, seconds, saved, scope, remote hits, mean score, audited, mismatches)
RunRecord = tuple[str, int, int, float, float, str, int, float | None, int, int]


def variant_of(extras: dict[str, str | None]) -> str:
    """The variant of a result with these extras: the key's results differ by it."""
    return schema.variant(json.dumps(extras, sort_keys=True))


def signed_row(reader: pieces.Reader, row: Sequence[Any]) -> tuple[Any, ...] | None:
    """A results row as read (its pieces' digests in place of its extras) as it was signed,
    its extras joined back from the pieces; None when a piece is missing or damaged."""
    extras = reader.extras(row[schema.EXTRAS])
    if extras is None:
        return None
    return (*row[: schema.EXTRAS], extras, *row[schema.EXTRAS + 1 :])


def signed_fact(row: Sequence[Any]) -> tuple[Any, ...] | None:
    """A facts row as read (its text compressed) as it was signed; None when unreadable."""
    text = pieces.unpack_fact(row[1])
    return None if text is None else (row[0], text, *row[2:])


def _sound_facts(secret: bytes, rows: Iterable[Sequence[Any]]) -> dict[str, str]:
    """name → text of the facts rows that verify."""
    out: dict[str, str] = {}
    for row in rows:
        fact = signed_fact(row)
        if fact is not None and schema.sound(secret, "facts", fact):
            out[fact[0]] = fact[1]
    return out


def decodes(row: Sequence[Any]) -> bool:
    """A results row whose extras and inputs can be read."""
    try:
        json.loads(row[6])
        json.loads(zlib.decompress(row[7]))
    except (ValueError, TypeError, zlib.error):
        return False
    return True


# -- stat cache and facts ----------------------------------------------------------------


def stat_rows(db: Database, secret: bytes) -> dict[str, StatRow]:
    """The whole stat cache; rows that fail verification are left out (their files re-read)."""
    try:
        rows = db.execute(f"SELECT {schema.COLUMNS['stat']} FROM stat").fetchall()
    except DatabaseError as exc:
        db.recover(exc)
        return {}
    return {r[0]: StatRow(*r[1:-1]) for r in rows if schema.sound(secret, "stat", r)}


def facts(db: Database, secret: bytes, hashes: Iterable[str]) -> dict[str, str]:
    """Stored parse results (JSON text) for the given content hashes, verified."""
    out: dict[str, str] = {}
    try:
        for chunk in chunks(list(hashes)):
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                f"SELECT {schema.COLUMNS['facts']} FROM facts WHERE hash IN ({marks})", chunk
            )
            out.update(_sound_facts(secret, rows.fetchall()))
    except DatabaseError as exc:
        db.recover(exc)
        return {}
    return out


def facts_named(db: Database, secret: bytes, prefix: str) -> dict[str, str]:
    """Every stored fact whose name starts with ``prefix``, verified."""
    pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    try:
        rows = db.execute(
            f"SELECT {schema.COLUMNS['facts']} FROM facts WHERE hash LIKE ? ESCAPE '\\'",
            (pattern,),
        ).fetchall()
    except DatabaseError as exc:
        db.recover(exc)
        return {}
    return _sound_facts(secret, rows)


def environment(db: Database, env_digest: str) -> dict[str, str]:
    """The items of a stored environment fingerprint (empty when unknown)."""
    try:
        row = db.execute("SELECT items FROM envs WHERE digest = ?", (env_digest,))
        found = row.fetchone()
    except DatabaseError as exc:
        db.recover(exc)
        return {}
    return dict(json.loads(found[0])) if found else {}


# -- results -----------------------------------------------------------------------------


def lookup(db: Database, secret: bytes, keys: Iterable[str]) -> dict[str, list[Stored]]:
    """Stored results for ``keys``, each key's variants newest first (last stored or served
    first); a row that fails verification is left out."""
    out: dict[str, list[Stored]] = {}
    reader = pieces.Reader(db)
    try:
        for chunk in chunks(list(keys)):
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                f"SELECT {schema.COLUMNS['results']}, variant FROM results "
                f"WHERE key IN ({marks}) ORDER BY used DESC, rowid DESC",
                chunk,
            ).fetchall()
            reader.read(row[schema.EXTRAS] for row in rows)
            for *stored, variant in rows:
                row = signed_row(reader, stored)
                if not (
                    row is not None
                    and schema.sound(secret, "results", row)
                    and schema.consistent(row, variant)
                ):
                    continue
                key, _, _, passed, detail, seconds, extras, _, created, marks, _ = row
                found = reader.mapping(stored[schema.EXTRAS])
                if found is None:
                    try:
                        found = json.loads(extras)
                    except ValueError:
                        continue
                flags = frozenset(marks.split(",")) - {""}
                out.setdefault(key, []).append(
                    Stored(key, bool(passed), detail, seconds, found, created, flags, variant)
                )
    except DatabaseError as exc:
        db.recover(exc)
        return {}
    return out


def latest_of(
    db: Database, secret: bytes, wanted: set[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """(feature, layer) → the inputs of the last (verified) result stored for it, whichever
    variant of its key that was: what a re-run layer is compared with to say why."""
    columns = ", ".join(f"r.{c}" for c in schema.COLUMNS["results"].split(", "))
    out: dict[tuple[str, str], dict[str, Any]] = {}
    reader = pieces.Reader(db)
    try:
        for chunk in chunks(sorted({feature for feature, _ in wanted})):
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                f"SELECT l.feature, {columns} FROM latest l "
                "JOIN results r ON r.key = l.key AND r.variant = l.variant "
                f"WHERE l.feature IN ({marks})",
                chunk,
            ).fetchall()
            for feature, *stored in rows:
                if (feature, stored[1]) not in wanted:
                    continue
                row = signed_row(reader, stored)
                if row is not None and schema.sound(secret, "results", row):
                    with contextlib.suppress(ValueError, zlib.error):
                        out[feature, row[1]] = json.loads(zlib.decompress(row[7]))
    except DatabaseError as exc:
        db.recover(exc)
        return {}
    return out


def sound_results(db: Database, secret: bytes) -> list[NewResult]:
    """Every stored result (every variant of each key) that verifies and decodes, with its
    inputs and creation time; a key's variants oldest first, as a copy should write them."""
    try:
        rows = db.execute(
            f"SELECT {schema.COLUMNS['results']}, variant FROM results ORDER BY used, rowid"
        ).fetchall()
    except DatabaseError as exc:
        db.recover(exc)
        return []
    out = []
    reader = pieces.Reader(db)
    try:
        reader.read(row[schema.EXTRAS] for row in rows)
    except DatabaseError as exc:
        db.recover(exc)
        return []
    for *stored, variant in rows:
        row = signed_row(reader, stored)
        if not (
            row is not None
            and schema.sound(secret, "results", row)
            and schema.consistent(row, variant)
            and decodes(row)
        ):
            continue
        key, layer, feature, passed, detail, seconds, extras, inputs, created, marks, _ = row
        out.append(
            NewResult(
                key,
                layer,
                feature,
                bool(passed),
                detail,
                seconds,
                reader.mapping(stored[schema.EXTRAS]) or json.loads(extras),
                json.loads(zlib.decompress(inputs)),
                created,
                frozenset(marks.split(",")) - {""},
            )
        )
    return out


def earlier_seconds(db: Database, current: set[str]) -> dict[tuple[str, str], float]:
    """(feature, layer) → the seconds its most recent stored result *not* under one of the
    ``current`` keys took.

    Results of the current keys are left out so that the answer does not change while
    shards of one run store theirs. Read without verification: it only balances
    ``--shard``, never decides a verdict.
    """
    try:
        rows = db.execute(
            "SELECT key, feature, layer, seconds, created FROM results ORDER BY created"
        ).fetchall()
    except DatabaseError as exc:
        db.recover(exc)
        return {}
    return {(f, layer): float(s) for key, f, layer, s, _ in rows if key not in current}


# -- writing a run -----------------------------------------------------------------------


def write(
    db: Database,
    secret: bytes,
    results: Sequence[NewResult],
    stats: dict[str, StatRow],
    facts: dict[str, str],
    run: RunRecord | None,
    env: tuple[str, dict[str, str]] | None = None,
    reasons: dict[str, Any] | None = None,
    served: Sequence[tuple[str, str]] = (),
) -> None:
    """Store one run's new results, stat cache and facts in one transaction (signed).

    A result replaces the one of its key and variant (the same observed contents); beside the
    key's other variants it is the newest, and a key keeps its newest ``schema.VARIANTS``.
    ``served`` are the (key, variant) of older variants this run reused: they become the
    newest of their key, so that the one evicted is the one unused longest. ``run`` is
    (command, hits, misses, seconds, saved, scope, remote hits, mean score, results audited,
    audit mismatches); ``reasons`` the record of why each of its layers re-ran, kept as the
    last one of that scope for ``why --last``.
    """
    if not db.writable:
        return
    now = time.time()
    runs: list[bytes] = []
    result_rows = [_result_row(secret, r, now, runs) for r in results]
    stat_rows = []
    for path, s in stats.items():
        stat = (path, s.size, s.mtime_ns, s.ctime_ns, s.inode, s.recorded_ns, s.hash)
        stat_rows.append((*stat, schema.mac(secret, "stat", stat)))
    fact_rows = [
        (h, pieces.pack_fact(d), schema.mac(secret, "facts", (h, d))) for h, d in facts.items()
    ]
    try:
        with db.transaction():
            pieces.store(db, runs)
            db.executemany(
                f"INSERT OR REPLACE INTO results ({schema.COLUMNS['results']}, variant, used) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                result_rows,
            )
            db.executemany(
                "INSERT OR REPLACE INTO latest VALUES (?,?,?,?)",
                [(r[2], r[1], r[0], r[-2]) for r in result_rows],
            )
            db.executemany(
                "UPDATE results SET used = ? WHERE key = ? AND variant = ?",
                [(now, key, variant) for key, variant in served],
            )
            _evict(db, {r.key for r in results})
            db.executemany("INSERT OR REPLACE INTO stat VALUES (?,?,?,?,?,?,?,?)", stat_rows)
            # REPLACE: a row that failed verification is written over, not kept forever
            db.executemany("INSERT OR REPLACE INTO facts VALUES (?,?,?)", fact_rows)
            if env is not None and results:
                db.execute("INSERT OR IGNORE INTO envs VALUES (?,?)", (env[0], json.dumps(env[1])))
            if run is not None:
                _insert_run(db, secret, now, run, reasons)
    except DatabaseError as exc:
        db.warnings.append(f"could not write the store ({exc}); results were not saved")


def _result_row(secret: bytes, r: NewResult, now: float, runs: list[bytes]) -> tuple[Any, ...]:
    """The results row of ``r`` (created ``now`` unless it says when), signed with its extras
    and holding the digests of their pieces (added to ``runs``), with its variant and ``used``
    (now) after the MAC."""
    extras, own = pieces.split(r.extras)
    runs += own
    row = (
        r.key,
        r.layer,
        r.feature,
        int(r.passed),
        r.detail,
        float(r.seconds),
        extras,
        zlib.compress(json.dumps(r.inputs, sort_keys=True).encode(), 1),
        now if r.created is None else r.created,
        ",".join(sorted(r.marks)),
    )
    stored = (*row[: schema.EXTRAS], pieces.packed(own), *row[schema.EXTRAS + 1 :])
    return (*stored, schema.mac(secret, "results", row), schema.variant(extras), now)


def _evict(db: Database, keys: set[str]) -> None:
    """Keep the newest ``schema.VARIANTS`` results of each of ``keys``; a ``latest`` row that
    named an evicted one goes with it."""
    crowded: list[str] = []
    for chunk in chunks(sorted(keys)):
        marks = ",".join("?" * len(chunk))
        crowded += (
            row[0]
            for row in db.execute(
                f"SELECT key FROM results WHERE key IN ({marks}) GROUP BY key HAVING count(*) > ?",
                (*chunk, schema.VARIANTS),
            )
        )
    for key in crowded:
        gone = db.execute(
            "SELECT rowid, variant FROM results WHERE key = ? "
            "ORDER BY used DESC, rowid DESC LIMIT -1 OFFSET ?",
            (key, schema.VARIANTS),
        ).fetchall()
        db.executemany("DELETE FROM results WHERE rowid = ?", [(g[0],) for g in gone])
        # by key, not feature: features may share a key (two classes of one module are
        # imported alike); rare enough (a key past its eighth content) to scan `latest`
        db.executemany(
            "DELETE FROM latest WHERE key = ? AND variant = ?",
            [(key, variant) for _, variant in gone],
        )
    if crowded:
        pieces.collect(db)


def _insert_run(
    db: Database, secret: bytes, now: float, run: RunRecord, reasons: dict[str, Any] | None
) -> None:
    """Add the run, and its re-run reasons as the last record of its scope."""
    cursor = db.execute(
        "INSERT INTO runs (started, command, hits, misses, seconds, saved, scope, "
        "remote_hits, mean_score, audited, audit_mismatches) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (now, *run),
    )
    if reasons is not None:
        blob = zlib.compress(json.dumps(reasons).encode(), 1)
        record = (run[5], cursor.lastrowid, blob)
        db.execute(
            "INSERT OR REPLACE INTO reasons VALUES (?,?,?,?)",
            (*record, schema.mac(secret, "reasons", record)),
        )


# -- the no-change fast path -------------------------------------------------------------


def snapshot(
    db: Database, secret: bytes, scope: str
) -> tuple[str, list[list[Any]], dict[str, Any]] | None:
    """The last full run of ``scope`` (which layers ran): key, files with their stat, result.

    One MAC covers the whole record, so the no-change path verifies once, not per file.
    """
    try:
        row = db.execute(
            f"SELECT {schema.COLUMNS['snapshot']} FROM snapshot WHERE scope = ?", (scope,)
        ).fetchone()
        if row is None or not schema.sound(secret, "snapshot", row):
            return None
        return row[1], json.loads(zlib.decompress(row[2])), json.loads(zlib.decompress(row[3]))
    except (DatabaseError, ValueError, zlib.error):
        return None  # an unreadable snapshot only costs the full path


def save_snapshot(
    db: Database,
    secret: bytes,
    scope: str,
    key: str,
    files: list[list[Any]],
    result: dict[str, Any],
) -> None:
    """Replace the recorded full run of ``scope``."""
    if not db.writable:
        return
    blobs = [zlib.compress(json.dumps(x).encode(), 1) for x in (files, result)]
    row = (scope, key, blobs[0], blobs[1], time.time())
    try:
        with db.transaction():
            db.execute(
                "INSERT OR REPLACE INTO snapshot VALUES (?, ?, ?, ?, ?, ?)",
                (*row, schema.mac(secret, "snapshot", row)),
            )
    except DatabaseError as exc:
        db.warnings.append(f"could not write the store ({exc})")
