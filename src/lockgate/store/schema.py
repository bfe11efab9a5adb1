"""The store's schema: its tables, its version and migrations, and what each row's MAC covers.

Schema 10 (``PRAGMA user_version``), one table per kind of row:

- ``results``: layer results under their content key (signed, the MAC in ``checksum``), one
  per *variant*: the digest of the extras, what the run observed beyond the key's inputs, so
  that the results of several contents of one input set are kept side by side (newest
  ``VARIANTS`` per key, by ``used``); ``marks`` is a comma-separated set (``load_dependent``,
  ``flaky``); ``pieces`` names the pieces its extras are stored in.
- ``pieces``: parts of results' extras by digest, each stored once however many results share
  it (:mod:`lockgate.store.pieces`), compressed; checked against its digest when read.
- ``latest``: (feature, layer) → the key and variant of the last result stored for it, for
  ``why``.
- ``stat``: the stat cache, each file's size, times and inode with its hash (signed).
- ``facts``: JSON text by name, compressed: parse results under a file's content hash, and the
  other facts a run records (signed: the text).
- ``snapshot``: per scope, the last full run, served whole by the no-change path (signed).
- ``envs``: environment fingerprints by digest, their items as JSON.
- ``runs``: one row per run, for ``cache stats``, ``cache check`` and ``why --last``; with
  how many served results its audit ran again and how many of those it found wrong.
- ``reasons``: per scope, why the layers of its last full run re-ran (signed).
- ``scores``: per commit, every feature's score and layer verdicts of the last whole run on a
  clean tree of it, compressed (signed): the trend, and the new-code gate's baseline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from lockgate.store import signing

SCHEMA_VERSION = 10
# Results kept per key, newest first: see "The store" in docs/design.md for why eight.
VARIANTS = 8

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stat (
    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, inode INTEGER,
    recorded_ns INTEGER, hash TEXT, mac TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS facts (hash TEXT PRIMARY KEY, data BLOB NOT NULL, mac TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    key TEXT NOT NULL, layer TEXT NOT NULL, feature TEXT NOT NULL,
    passed INTEGER NOT NULL, detail TEXT NOT NULL, seconds REAL NOT NULL,
    pieces BLOB NOT NULL, inputs BLOB NOT NULL, created REAL NOT NULL, marks TEXT NOT NULL,
    checksum TEXT NOT NULL, variant TEXT NOT NULL, used REAL NOT NULL,
    PRIMARY KEY (key, variant)
);
CREATE TABLE IF NOT EXISTS latest (
    feature TEXT NOT NULL, layer TEXT NOT NULL, key TEXT NOT NULL, variant TEXT NOT NULL,
    PRIMARY KEY (feature, layer)
);
CREATE TABLE IF NOT EXISTS snapshot (
    scope TEXT PRIMARY KEY, key TEXT NOT NULL, files BLOB NOT NULL,
    result BLOB NOT NULL, created REAL NOT NULL, mac TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS envs (digest TEXT PRIMARY KEY, items TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started REAL NOT NULL, command TEXT NOT NULL,
    hits INTEGER NOT NULL, misses INTEGER NOT NULL, seconds REAL NOT NULL, saved REAL NOT NULL,
    scope TEXT,
    remote_hits INTEGER NOT NULL DEFAULT 0,
    mean_score REAL,
    audited INTEGER NOT NULL DEFAULT 0,
    audit_mismatches INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS reasons (
    scope TEXT PRIMARY KEY, run INTEGER NOT NULL, record BLOB NOT NULL, mac TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scores (
    commit_id TEXT PRIMARY KEY, recorded REAL NOT NULL, data BLOB NOT NULL, mac TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pieces (digest BLOB PRIMARY KEY, data BLOB NOT NULL);
"""
# One CREATE statement per table, in the order above.
TABLES = tuple(statement for statement in _SCHEMA.split(";") if statement.strip())
# Every table, in the order ``clear`` empties them.
ALL = (
    "stat",
    "facts",
    "results",
    "latest",
    "envs",
    "runs",
    "snapshot",
    "reasons",
    "scores",
    "pieces",
)
# The results table of schemas 6 to 9, which the migration from 6 makes: extras as JSON text.
_RESULTS_9 = """CREATE TABLE IF NOT EXISTS results (
    key TEXT NOT NULL, layer TEXT NOT NULL, feature TEXT NOT NULL,
    passed INTEGER NOT NULL, detail TEXT NOT NULL, seconds REAL NOT NULL,
    extras TEXT NOT NULL, inputs BLOB NOT NULL, created REAL NOT NULL, marks TEXT NOT NULL,
    checksum TEXT NOT NULL, variant TEXT NOT NULL, used REAL NOT NULL,
    PRIMARY KEY (key, variant)
)"""

# What a store of each older schema needs to become the next one: version → statements, run
# in order up to this one. An old store keeps every result (set aside, it would re-run
# everything). From 5, the snapshot goes: a run it serves records no reasons, and
# `why --last` needs one full run that does (it reuses every result by key). From 6, the
# results table is made again with its variants (``VARIANT_SQL`` computes each row's), and
# ``latest`` names the variant of the one result its key had. From 7, the audit's two counts
# join the run history (issue 19). From 8, the score history per commit (issue 24): a new
# table, so every stored result stays. From 9, each result's extras are split into pieces
# stored once (issue 21: 295 of Faker's 335 MB were extras, most of them alike) and facts are
# compressed, by :func:`lockgate.store.pieces.migrate` (``SPLIT_STEP``); no row is signed again.
VARIANT_SQL = "lockgate_variant"
SPLIT_STEP = "-- lockgate: split extras into pieces, compress facts"
MIGRATIONS = {
    5: (
        "ALTER TABLE runs ADD COLUMN scope TEXT",
        "ALTER TABLE runs ADD COLUMN remote_hits INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE runs ADD COLUMN mean_score REAL",
        # rows are always named by column (`COLUMNS`), so the column's place does not matter
        "ALTER TABLE results ADD COLUMN marks TEXT NOT NULL DEFAULT ''",
        "CREATE TABLE IF NOT EXISTS reasons (scope TEXT PRIMARY KEY, run INTEGER NOT NULL, "
        "record BLOB NOT NULL, mac TEXT NOT NULL)",
        "DELETE FROM snapshot",
    ),
    6: (
        "ALTER TABLE results RENAME TO results_6",
        _RESULTS_9,
        "INSERT INTO results (key, layer, feature, passed, detail, seconds, extras, inputs, "
        "created, marks, checksum, variant, used) SELECT key, layer, feature, passed, detail, "
        f"seconds, extras, inputs, created, marks, checksum, {VARIANT_SQL}(extras), created "
        "FROM results_6",
        "DROP TABLE results_6",
        "ALTER TABLE latest ADD COLUMN variant TEXT NOT NULL DEFAULT ''",
        "UPDATE latest SET variant = coalesce("
        "(SELECT r.variant FROM results r WHERE r.key = latest.key), '')",
    ),
    7: (
        "ALTER TABLE runs ADD COLUMN audited INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE runs ADD COLUMN audit_mismatches INTEGER NOT NULL DEFAULT 0",
    ),
    # score history (issue 24): one step, a new table only
    8: (TABLES[8],),
    9: ("ALTER TABLE results RENAME COLUMN extras TO pieces", TABLES[9], SPLIT_STEP),
}

SIGNED = ("results", "stat", "facts", "snapshot", "reasons", "scores")
# Each signed table's signed columns in schema order, its MAC last. A result's ``variant`` and
# ``used`` are not signed: the variant is checked against the signed extras it is the digest
# of (:func:`consistent`), and ``used`` only orders the variants of one key. A result is
# signed with its extras, the canonical JSON its ``pieces`` are joined into when it is read;
# a fact with its text, which ``data`` holds compressed.
MARKS = 9  # the place of ``marks`` among the results columns
EXTRAS = 6  # the place of the extras (stored: ``pieces``)
COLUMNS = {
    "results": (
        "key, layer, feature, passed, detail, seconds, pieces, inputs, created, marks, checksum"
    ),
    "stat": "path, size, mtime_ns, ctime_ns, inode, recorded_ns, hash, mac",
    "facts": "hash, data, mac",
    "snapshot": "scope, key, files, result, created, mac",
    "reasons": "scope, run, record, mac",
    "scores": "commit_id, recorded, data, mac",
}


def variant(extras: str) -> str:
    """The variant of a result whose extras, as stored (sorted JSON), are ``extras``."""
    return hashlib.sha256(extras.encode()).hexdigest()[:32]


def consistent(row: Sequence[Any], stored_variant: str) -> bool:
    """A results row (signed columns, MAC last) is filed under the variant of its extras."""
    return isinstance(row[EXTRAS], str) and variant(row[EXTRAS]) == stored_variant


def mac(secret: bytes, table: str, row: Sequence[Any]) -> str:
    """The MAC of a row given in column order (without its MAC column)."""
    return signing.sign(secret, table, *_split(_signed(table, row)))


def sound(secret: bytes, table: str, row: Sequence[Any]) -> bool:
    """A row read in column order, its MAC last: written by this user's lockgate, unaltered."""
    return signing.verify(secret, row[-1], table, *_split(_signed(table, row[:-1])))


def _signed(table: str, row: Sequence[Any]) -> Sequence[Any]:
    """What a row's MAC covers: all of it, but a result without marks is signed as before
    marks existed (schema 5), so a migrated store keeps its results; a result with marks
    is signed with them, so no mark can be added or removed unnoticed."""
    if table == "results" and row[MARKS] == "":
        return [*row[:MARKS], *row[MARKS + 1 :]]
    return row


def _split(row: Sequence[Any]) -> tuple[list[Any], list[bytes]]:
    """A row's scalars (blobs as None, keeping positions) and its blobs, for signing."""
    return [None if isinstance(v, bytes) else v for v in row], [
        v for v in row if isinstance(v, bytes)
    ]
