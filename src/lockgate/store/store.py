"""The SQLite result store: every SQL statement of lockgate lives here."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockgate.errors import LockgateError
from lockgate.store import signing

SCHEMA_VERSION = 6
_DB_NAME = "store.sqlite"
BUSY_ENV = "LOCKGATE_BUSY_TIMEOUT"
DEFAULT_BUSY_TIMEOUT = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stat (
    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, inode INTEGER,
    recorded_ns INTEGER, hash TEXT, mac TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS facts (hash TEXT PRIMARY KEY, data TEXT NOT NULL, mac TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY, layer TEXT NOT NULL, feature TEXT NOT NULL,
    passed INTEGER NOT NULL, detail TEXT NOT NULL, seconds REAL NOT NULL,
    extras TEXT NOT NULL, inputs BLOB NOT NULL, created REAL NOT NULL, marks TEXT NOT NULL,
    checksum TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS latest (
    feature TEXT NOT NULL, layer TEXT NOT NULL, key TEXT NOT NULL,
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
    mean_score REAL
);
CREATE TABLE IF NOT EXISTS reasons (
    scope TEXT PRIMARY KEY, run INTEGER NOT NULL, record BLOB NOT NULL, mac TEXT NOT NULL
);
"""
# What a store of an older schema needs to become this one: version → statements. Only
# additions, so an old store keeps every result (set aside, it would re-run everything).
# The snapshot goes: a run it serves records no reasons, and `why --last` needs one full run
# that does (it reuses every result by key).
_MIGRATIONS = {
    5: (
        "ALTER TABLE runs ADD COLUMN scope TEXT",
        "ALTER TABLE runs ADD COLUMN remote_hits INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE runs ADD COLUMN mean_score REAL",
        # rows are always named by column (`_COLUMNS`), so the column's place does not matter
        "ALTER TABLE results ADD COLUMN marks TEXT NOT NULL DEFAULT ''",
        "CREATE TABLE IF NOT EXISTS reasons (scope TEXT PRIMARY KEY, run INTEGER NOT NULL, "
        "record BLOB NOT NULL, mac TEXT NOT NULL)",
        "DELETE FROM snapshot",
    ),
}


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


def set_aside(folder: Path, reason: str) -> str:
    """Move a damaged database (with its WAL) out of the way; return the one-line warning.

    Raises OSError when the files cannot be moved (a read-only folder).
    """
    path = folder / _DB_NAME
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = folder / f"{_DB_NAME}.damaged-{stamp}-{os.getpid()}"
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            os.replace(part, Path(f"{aside}{suffix}"))
    return (
        f"the store at {path} could not be used ({reason}); "
        f"moved it to {aside.name} and started a new one"
    )


def store_dir(root: Path) -> Path:
    """The store's folder: ``LOCKGATE_DIR`` or ``.lockgate`` in the project root."""
    override = os.environ.get("LOCKGATE_DIR")
    return Path(override) if override else root / ".lockgate"


def busy_timeout() -> float:
    """Seconds to wait for another process's lock: ``LOCKGATE_BUSY_TIMEOUT``, default 30."""
    raw = os.environ.get(BUSY_ENV, "")
    if not raw:
        return DEFAULT_BUSY_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < 86400:
        raise LockgateError(f"{BUSY_ENV}: expected seconds (a number from 0), got {raw!r}")
    return value


class StoreDamaged(Exception):
    """The database file cannot be trusted (corrupt, foreign, another schema)."""


def _is_damage(exc: BaseException) -> bool:
    """Damage of the file itself, as opposed to a lock, permissions or a full disk."""
    if isinstance(exc, StoreDamaged):
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _is_busy(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class Store:
    """An open store. Damage is set aside and rebuilt; a store that is locked by another
    process or read-only is used read-only (``writable`` False), with one warning."""

    def __init__(self, folder: Path, set_aside: bool = True) -> None:
        """Open (or create) the store; with ``set_aside=False`` damage raises StoreDamaged."""
        self.folder = folder
        self.path = folder / _DB_NAME
        self.warnings: list[str] = []
        self.writable = True
        self._key = signing.secret()
        self._timeout = busy_timeout()
        self._prepare_folder()
        try:
            self._db = self._open_checked()
        except (sqlite3.DatabaseError, StoreDamaged) as exc:
            if not _is_damage(exc):
                self._db = self._open_read_only(exc)
            elif not set_aside:
                raise StoreDamaged(str(exc)) from None
            else:
                self._db = self._replace_damaged(str(exc))

    # -- opening, damage ---------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None)
        db.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
        # In WAL mode NORMAL never corrupts the file; a crash may lose the last transaction,
        # which only means re-running those layers. FULL cost an fsync per run.
        db.execute("PRAGMA synchronous = NORMAL")
        return db

    def _prepare_folder(self) -> None:
        if self.folder.exists() and not self.folder.is_dir():
            raise LockgateError(
                f"{self.folder}: lockgate keeps its store in this folder, but it is a file; "
                "remove it or set LOCKGATE_DIR to another folder"
            )
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("*\n")
        except OSError as exc:
            if self.path.is_file():
                return  # an existing store in a folder we cannot write: opened read-only
            raise LockgateError(
                f"{self.folder}: cannot create lockgate's store ({exc.strerror}); "
                "set LOCKGATE_DIR to a writable folder, or pass --no-cache"
            ) from None

    def _open_checked(self) -> sqlite3.Connection:
        if self.path.exists() and not (
            os.access(self.path, os.W_OK) and os.access(self.folder, os.W_OK)
        ):
            raise sqlite3.OperationalError("the file or its folder is read-only")
        db = self._connect()
        try:
            # Checked inside a write transaction so that two runs creating the store at
            # once never see each other's half-made schema.
            with _transaction(db):
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version == 0:
                    tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                    if tables:
                        raise StoreDamaged("a database that is not a lockgate store")
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                elif version in _MIGRATIONS:
                    for statement in _MIGRATIONS[version]:
                        db.execute(statement)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                elif version != SCHEMA_VERSION:
                    raise StoreDamaged(
                        f"schema version {version}, this lockgate uses {SCHEMA_VERSION}"
                    )
            db.execute("PRAGMA journal_mode = WAL")
        except BaseException:
            db.close()
            raise
        return db

    def _open_read_only(self, cause: BaseException) -> sqlite3.Connection:
        """Read what a locked or read-only store holds; this run writes nothing to it."""
        self.writable = False
        if not self.path.is_file():
            raise LockgateError(
                f"{self.folder}: cannot create lockgate's store ({cause}); "
                "set LOCKGATE_DIR to a writable folder, or pass --no-cache"
            )
        if _is_busy(cause):
            why = f"it is locked by another process (waited {self._timeout:g}s)"
        else:
            why = f"it cannot be written ({cause})"
        uri = Path(os.path.abspath(self.path)).as_uri()
        # A WAL database in a read-only folder without its -shm file opens only as immutable.
        for query in ("mode=ro", "immutable=1"):
            db = sqlite3.connect(f"{uri}?{query}", uri=True, isolation_level=None)
            try:
                version = db.execute("PRAGMA user_version").fetchone()[0]
            except sqlite3.DatabaseError:
                db.close()
                continue
            if version == SCHEMA_VERSION:
                self.warnings.append(
                    f"the store at {self.path} is used read-only: {why}; this run saves no results"
                )
                return db
            db.close()
            why += f", and it has schema version {version}, not {SCHEMA_VERSION}"
            break
        return self._without_store(f"the store at {self.path} is not used: {why}")

    def _without_store(self, warning: str) -> sqlite3.Connection:
        """An empty store in memory: every lookup misses, nothing is written anywhere."""
        self.warnings.append(warning)
        self.writable = False
        db = sqlite3.connect(":memory:", isolation_level=None)
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        return db

    def _replace_damaged(self, reason: str) -> sqlite3.Connection:
        try:
            self.warnings.append(set_aside(self.folder, reason))
        except OSError as exc:
            return self._without_store(
                f"the store at {self.path} could not be used ({reason}) nor moved aside "
                f"({exc.strerror}); this run saves no results"
            )
        try:
            return self._open_checked()
        except (sqlite3.DatabaseError, StoreDamaged) as exc:
            return self._without_store(
                f"a new store at {self.path} could not be made ({exc}); this run saves no results"
            )

    def _recover(self, exc: sqlite3.DatabaseError) -> None:
        """A read failed: set a damaged store aside; anything else only costs this run's reuse."""
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        if _is_damage(exc) and self.writable:
            self._db = self._replace_damaged(str(exc))
        else:
            self._db = self._without_store(
                f"could not read the store at {self.path} ({exc}); this run saves no results"
            )

    def _require_writable(self) -> None:
        if not self.writable:
            raise LockgateError(" ".join(self.warnings) or f"{self.path}: cannot be written")

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def clear(self) -> None:
        """Remove every stored row."""
        self._require_writable()
        with _transaction(self._db):
            for table in (
                "stat",
                "facts",
                "results",
                "latest",
                "envs",
                "runs",
                "snapshot",
                "reasons",
            ):
                self._db.execute(f"DELETE FROM {table}")

    # -- authentication ------------------------------------------------------------------

    def _mac(self, table: str, row: Sequence[Any]) -> str:
        """The MAC of a row given in column order (without its MAC column)."""
        return signing.sign(self._key, table, *_split(_signed(table, row)))

    def _sound(self, table: str, row: Sequence[Any]) -> bool:
        """A row read in column order, its MAC last: written by this user's lockgate, unaltered."""
        return signing.verify(self._key, row[-1], table, *_split(_signed(table, row[:-1])))

    # -- stat cache and facts ------------------------------------------------------------

    def stat_rows(self) -> dict[str, StatRow]:
        """The whole stat cache; rows that fail verification are left out (their files re-read)."""
        try:
            rows = self._db.execute(f"SELECT {_COLUMNS['stat']} FROM stat").fetchall()
        except sqlite3.DatabaseError as exc:
            self._recover(exc)
            return {}
        return {r[0]: StatRow(*r[1:-1]) for r in rows if self._sound("stat", r)}

    def facts(self, hashes: Iterable[str]) -> dict[str, str]:
        """Stored parse results (JSON text) for the given content hashes, verified."""
        out: dict[str, str] = {}
        try:
            for chunk in _chunks(list(hashes)):
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT {_COLUMNS['facts']} FROM facts WHERE hash IN ({marks})", chunk
                )
                out.update((r[0], r[1]) for r in rows.fetchall() if self._sound("facts", r))
        except sqlite3.DatabaseError as exc:
            self._recover(exc)
            return {}
        return out

    # -- results -------------------------------------------------------------------------

    def lookup(self, keys: Iterable[str]) -> dict[str, Stored]:
        """Stored results for ``keys``; a row that fails verification is a miss."""
        out: dict[str, Stored] = {}
        try:
            for chunk in _chunks(list(keys)):
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT {_COLUMNS['results']} FROM results WHERE key IN ({marks})", chunk
                ).fetchall()
                for row in rows:
                    if not self._sound("results", row):
                        continue
                    key, _, _, passed, detail, seconds, extras, _, created, marks, _ = row
                    try:
                        found = json.loads(extras)
                    except ValueError:
                        continue
                    flags = frozenset(marks.split(",")) - {""}
                    out[key] = Stored(key, bool(passed), detail, seconds, found, created, flags)
        except sqlite3.DatabaseError as exc:
            self._recover(exc)
            return {}
        return out

    def latest_of(self, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """(feature, layer) → the inputs of the last (verified) result stored for it: what a
        re-run layer is compared with to say why."""
        columns = ", ".join(f"r.{c}" for c in _COLUMNS["results"].split(", "))
        out: dict[tuple[str, str], dict[str, Any]] = {}
        try:
            for chunk in _chunks(sorted({feature for feature, _ in wanted})):
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT l.feature, {columns} FROM latest l JOIN results r ON r.key = l.key "
                    f"WHERE l.feature IN ({marks})",
                    chunk,
                ).fetchall()
                for feature, *row in rows:
                    if (feature, row[1]) in wanted and self._sound("results", row):
                        with contextlib.suppress(ValueError, zlib.error):
                            out[feature, row[1]] = json.loads(zlib.decompress(row[7]))
        except sqlite3.DatabaseError as exc:
            self._recover(exc)
            return {}
        return out

    def sound_results(self) -> list[NewResult]:
        """Every stored result that verifies and decodes, with its inputs and creation time."""
        try:
            rows = self._db.execute(f"SELECT {_COLUMNS['results']} FROM results").fetchall()
        except sqlite3.DatabaseError as exc:
            self._recover(exc)
            return []
        out = []
        for row in rows:
            if not (self._sound("results", row) and _decodes(row)):
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
                    json.loads(extras),
                    json.loads(zlib.decompress(inputs)),
                    created,
                    frozenset(marks.split(",")) - {""},
                )
            )
        return out

    def earlier_seconds(self, current: set[str]) -> dict[tuple[str, str], float]:
        """(feature, layer) → the seconds its most recent stored result *not* under one of the
        ``current`` keys took.

        Results of the current keys are left out so that the answer does not change while
        shards of one run store theirs. Read without verification: it only balances
        ``--shard``, never decides a verdict.
        """
        try:
            rows = self._db.execute(
                "SELECT key, feature, layer, seconds, created FROM results ORDER BY created"
            ).fetchall()
        except sqlite3.DatabaseError as exc:
            self._recover(exc)
            return {}
        return {(f, layer): float(s) for key, f, layer, s, _ in rows if key not in current}

    def environment(self, env_digest: str) -> dict[str, str]:
        """The items of a stored environment fingerprint (empty when unknown)."""
        try:
            row = self._db.execute("SELECT items FROM envs WHERE digest = ?", (env_digest,))
            found = row.fetchone()
        except sqlite3.DatabaseError as exc:
            self._recover(exc)
            return {}
        return dict(json.loads(found[0])) if found else {}

    def write(
        self,
        results: Sequence[NewResult],
        stats: dict[str, StatRow],
        facts: dict[str, str],
        run: tuple[str, int, int, float, float, str, int, float | None] | None,
        env: tuple[str, dict[str, str]] | None = None,
        reasons: dict[str, Any] | None = None,
    ) -> None:
        """Store one run's new results, stat cache and facts in one transaction (signed).

        ``run`` is (command, hits, misses, seconds, saved, scope, remote hits); ``reasons``
        the record of why each of its layers re-ran, kept as the last one of that scope for
        ``why --last``.
        """
        if not self.writable:
            return
        now = time.time()
        result_rows = []
        for r in results:
            row = (
                r.key,
                r.layer,
                r.feature,
                int(r.passed),
                r.detail,
                float(r.seconds),
                json.dumps(r.extras, sort_keys=True),
                zlib.compress(json.dumps(r.inputs, sort_keys=True).encode(), 1),
                now if r.created is None else r.created,
                ",".join(sorted(r.marks)),
            )
            result_rows.append((*row, self._mac("results", row)))
        stat_rows = []
        for path, s in stats.items():
            stat = (path, s.size, s.mtime_ns, s.ctime_ns, s.inode, s.recorded_ns, s.hash)
            stat_rows.append((*stat, self._mac("stat", stat)))
        fact_rows = [(h, d, self._mac("facts", (h, d))) for h, d in facts.items()]
        try:
            with _transaction(self._db):
                self._db.executemany(
                    f"INSERT OR REPLACE INTO results ({_COLUMNS['results']}) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    result_rows,
                )
                self._db.executemany(
                    "INSERT OR REPLACE INTO latest VALUES (?,?,?)",
                    [(r.feature, r.layer, r.key) for r in results],
                )
                self._db.executemany(
                    "INSERT OR REPLACE INTO stat VALUES (?,?,?,?,?,?,?,?)", stat_rows
                )
                # REPLACE: a row that failed verification is written over, not kept forever
                self._db.executemany("INSERT OR REPLACE INTO facts VALUES (?,?,?)", fact_rows)
                if env is not None and results:
                    self._db.execute(
                        "INSERT OR IGNORE INTO envs VALUES (?,?)", (env[0], json.dumps(env[1]))
                    )
                if run is not None:
                    cursor = self._db.execute(
                        "INSERT INTO runs (started, command, hits, misses, seconds, saved, scope, "
                        "remote_hits, mean_score) VALUES (?,?,?,?,?,?,?,?,?)",
                        (now, *run),
                    )
                    if reasons is not None:
                        blob = zlib.compress(json.dumps(reasons).encode(), 1)
                        record = (run[5], cursor.lastrowid, blob)
                        self._db.execute(
                            "INSERT OR REPLACE INTO reasons VALUES (?,?,?,?)",
                            (*record, self._mac("reasons", record)),
                        )
        except sqlite3.DatabaseError as exc:
            self.warnings.append(f"could not write the store ({exc}); results were not saved")

    # -- the no-change fast path ----------------------------------------------------------

    def snapshot(self, scope: str) -> tuple[str, list[list[Any]], dict[str, Any]] | None:
        """The last full run of ``scope`` (which layers ran): key, files with their stat, result.

        One MAC covers the whole record, so the no-change path verifies once, not per file.
        """
        try:
            row = self._db.execute(
                f"SELECT {_COLUMNS['snapshot']} FROM snapshot WHERE scope = ?", (scope,)
            ).fetchone()
            if row is None or not self._sound("snapshot", row):
                return None
            return row[1], json.loads(zlib.decompress(row[2])), json.loads(zlib.decompress(row[3]))
        except (sqlite3.DatabaseError, ValueError, zlib.error):
            return None  # an unreadable snapshot only costs the full path

    def save_snapshot(
        self, scope: str, key: str, files: list[list[Any]], result: dict[str, Any]
    ) -> None:
        """Replace the recorded full run of ``scope``."""
        if not self.writable:
            return
        blobs = [zlib.compress(json.dumps(x).encode(), 1) for x in (files, result)]
        row = (scope, key, blobs[0], blobs[1], time.time())
        try:
            with _transaction(self._db):
                self._db.execute(
                    "INSERT OR REPLACE INTO snapshot VALUES (?, ?, ?, ?, ?, ?)",
                    (*row, self._mac("snapshot", row)),
                )
        except sqlite3.DatabaseError as exc:
            self.warnings.append(f"could not write the store ({exc})")

    def record_run(
        self,
        command: str,
        hits: int,
        misses: int,
        seconds: float,
        saved: float,
        scope: str,
        mean_score: float | None = None,
    ) -> None:
        """Add one run to the statistics (``mean_score`` None: the run scored no feature)."""
        if not self.writable:
            return
        try:
            with _transaction(self._db):
                self._db.execute(
                    "INSERT INTO runs (started, command, hits, misses, seconds, saved, scope, "
                    "mean_score) VALUES (?,?,?,?,?,?,?,?)",
                    (time.time(), command, hits, misses, seconds, saved, scope, mean_score),
                )
        except sqlite3.DatabaseError as exc:
            self.warnings.append(f"could not write the store ({exc})")

    def last_run(self) -> tuple[int, float, str, int, int, float, str | None] | None:
        """The newest run: (id, started, command, hits, misses, seconds, scope)."""
        try:
            row = self._db.execute(
                "SELECT id, started, command, hits, misses, seconds, scope FROM runs "
                "ORDER BY id DESC LIMIT 1"
            ).fetchone()
        except sqlite3.DatabaseError as exc:
            self._recover(exc)
            return None
        return tuple(row) if row is not None else None

    def reasons(self, scope: str) -> tuple[int, dict[str, Any]] | None:
        """The run id and record of why layers re-ran, of the last full run of ``scope``."""
        try:
            row = self._db.execute(
                f"SELECT {_COLUMNS['reasons']} FROM reasons WHERE scope = ?", (scope,)
            ).fetchone()
            if row is None or not self._sound("reasons", row):
                return None
            return int(row[1]), json.loads(zlib.decompress(row[2]))
        except (sqlite3.DatabaseError, ValueError, zlib.error):
            return None  # an unreadable record only means the reasons cannot be told

    # -- maintenance: stats, health, pruning ------------------------------------------------

    def layer_sizes(self) -> list[tuple[str, int, int]]:
        """(layer, entries, bytes) per layer."""
        return [
            (layer, count, size or 0)
            for layer, count, size in self._db.execute(
                "SELECT layer, count(*), sum(length(detail) + length(extras) + length(inputs)) "
                "FROM results GROUP BY layer ORDER BY layer"
            )
        ]

    def result_ages(self) -> list[float]:
        """The creation time of every stored result."""
        return [row[0] for row in self._db.execute("SELECT created FROM results")]

    def runs(
        self, limit: int
    ) -> list[tuple[float, str, int, int, float, float, int, float | None]]:
        """The last runs, newest first: (started, command, hits, misses, seconds, saved,
        remote hits: how many of the hits the remote served, mean score or None)."""
        return list(
            self._db.execute(
                "SELECT started, command, hits, misses, seconds, saved, remote_hits, mean_score "
                "FROM runs "
                "ORDER BY id DESC LIMIT ?",
                (limit,),
            )
        )

    def integrity(self) -> list[str]:
        """``PRAGMA integrity_check`` messages; ``["ok"]`` for a sound file."""
        return [row[0] for row in self._db.execute("PRAGMA integrity_check")]

    def schema_version(self) -> int:
        """``PRAGMA user_version``."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def size_bytes(self) -> int:
        """The database file with its WAL."""
        return sum(
            Path(f"{self.path}{suffix}").stat().st_size
            for suffix in ("", "-wal")
            if Path(f"{self.path}{suffix}").exists()
        )

    def unsound(self) -> dict[str, list[int]]:
        """Per signed table, the rowids of rows that fail verification or cannot be read."""
        bad: dict[str, list[int]] = {}
        for table in _SIGNED:
            for rowid, row in _readable_rows(self._db, table, _COLUMNS[table]):
                if not self._sound(table, row) or (table == "results" and not _decodes(row)):
                    bad.setdefault(table, []).append(rowid)
        return bad

    def drop(self, rows: dict[str, list[int]]) -> None:
        """Remove the given rows (by table and rowid), and what points at removed results."""
        self._require_writable()
        with _transaction(self._db):
            for table, rowids in rows.items():
                for chunk in _chunks(rowids):
                    marks = ",".join("?" * len(chunk))
                    self._db.execute(f"DELETE FROM {table} WHERE rowid IN ({marks})", chunk)
            if rows.get("results"):
                self._db.execute("DELETE FROM snapshot")
                self._db.execute("DELETE FROM latest WHERE key NOT IN (SELECT key FROM results)")

    def orphaned_latest(self) -> int:
        """``latest`` rows that point at no stored result."""
        return int(
            self._db.execute(
                "SELECT count(*) FROM latest WHERE key NOT IN (SELECT key FROM results)"
            ).fetchone()[0]
        )

    def result_keys(self) -> list[str]:
        """Every stored result key."""
        return [row[0] for row in self._db.execute("SELECT key FROM results")]

    def delete(self, keys: Iterable[str]) -> int:
        """Remove results (and what points at them); return how many were removed."""
        self._require_writable()
        removed = 0
        with _transaction(self._db):
            for chunk in _chunks(list(keys)):
                marks = ",".join("?" * len(chunk))
                removed += self._db.execute(
                    f"DELETE FROM results WHERE key IN ({marks})", chunk
                ).rowcount
            # the recorded full run may name removed results: never serve it again
            self._db.execute("DELETE FROM snapshot")
            self._db.execute("DELETE FROM latest WHERE key NOT IN (SELECT key FROM results)")
        return removed

    def older_than(self, stamp: float) -> list[str]:
        """Keys of results stored before ``stamp``."""
        return [
            r[0] for r in self._db.execute("SELECT key FROM results WHERE created < ?", (stamp,))
        ]

    def vacuum(self) -> None:
        """Give the space of removed rows back to the file system."""
        self._require_writable()
        self._db.execute("VACUUM")

    def rebuild(self) -> tuple[int, int]:
        """Copy every sound row into a new database file that replaces this one.

        Returns (results kept, results dropped). Rows that cannot be read or fail verification
        are dropped; so is the snapshot, which the next full run records again.
        """
        self._require_writable()
        fresh_path = self.folder / f"{_DB_NAME}.rebuild-{os.getpid()}"
        fresh_path.unlink(missing_ok=True)
        kept = dropped = 0
        bad = {table: set(rowids) for table, rowids in _safe(self.unsound, {}).items()}
        fresh = sqlite3.connect(fresh_path, isolation_level=None)
        try:
            with _transaction(fresh):
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        fresh.execute(statement)
                fresh.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                for table in ("stat", "facts", "results", "latest", "envs", "runs"):
                    for rowid, row in _readable_rows(self._db, table, _COLUMNS.get(table, "*")):
                        sound = table not in _SIGNED or (
                            rowid not in bad.get(table, ()) and self._sound(table, row)
                        )
                        if table == "results":
                            kept, dropped = (kept + 1, dropped) if sound else (kept, dropped + 1)
                        if sound:
                            marks = ",".join("?" * len(row))
                            fresh.execute(f"INSERT OR IGNORE INTO {table} VALUES ({marks})", row)
        finally:
            fresh.close()
        self._db.close()
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        os.replace(fresh_path, self.path)
        self._db = self._open_checked()
        return kept, dropped


_SIGNED = ("results", "stat", "facts", "snapshot", "reasons")
# Each signed table's columns in schema order, its MAC last.
_MARKS = 9  # the place of ``marks`` among the results columns
_COLUMNS = {
    "results": (
        "key, layer, feature, passed, detail, seconds, extras, inputs, created, marks, checksum"
    ),
    "stat": "path, size, mtime_ns, ctime_ns, inode, recorded_ns, hash, mac",
    "facts": "hash, data, mac",
    "snapshot": "scope, key, files, result, created, mac",
    "reasons": "scope, run, record, mac",
}


def _signed(table: str, row: Sequence[Any]) -> Sequence[Any]:
    """What a row's MAC covers: all of it, but a result without marks is signed as before
    marks existed (schema 5), so a migrated store keeps its results; a result with marks
    is signed with them, so no mark can be added or removed unnoticed."""
    if table == "results" and row[_MARKS] == "":
        return [*row[:_MARKS], *row[_MARKS + 1 :]]
    return row


def _split(row: Sequence[Any]) -> tuple[list[Any], list[bytes]]:
    """A row's scalars (blobs as None, keeping positions) and its blobs, for signing."""
    return [None if isinstance(v, bytes) else v for v in row], [
        v for v in row if isinstance(v, bytes)
    ]


def _decodes(row: Sequence[Any]) -> bool:
    try:
        json.loads(row[6])
        json.loads(zlib.decompress(row[7]))
    except (ValueError, TypeError, zlib.error):
        return False
    return True


def _readable_rows(
    db: sqlite3.Connection, table: str, columns: str
) -> list[tuple[int, tuple[Any, ...]]]:
    """(rowid, row) of ``table`` read one rowid at a time, skipping rows damage made unreadable."""
    try:
        ids = [r[0] for r in db.execute(f"SELECT rowid FROM {table}")]
    except sqlite3.DatabaseError:
        return []
    rows = []
    for rowid in ids:
        try:
            row = db.execute(f"SELECT {columns} FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
        except sqlite3.DatabaseError:
            continue
        if row is not None:
            rows.append((rowid, tuple(row)))
    return rows


def _safe(func: Any, default: Any) -> Any:
    try:
        return func()
    except sqlite3.DatabaseError:
        return default


def _chunks(items: Sequence[Any], size: int = 900) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
