"""The SQLite result store: every SQL statement of lockgate lives here."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 4
_DB_NAME = "store.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stat (
    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER, inode INTEGER,
    recorded_ns INTEGER, hash TEXT
);
CREATE TABLE IF NOT EXISTS facts (hash TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY, layer TEXT NOT NULL, feature TEXT NOT NULL,
    passed INTEGER NOT NULL, detail TEXT NOT NULL, seconds REAL NOT NULL,
    extras TEXT NOT NULL, inputs BLOB NOT NULL, created REAL NOT NULL, checksum TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS latest (
    feature TEXT NOT NULL, layer TEXT NOT NULL, key TEXT NOT NULL,
    PRIMARY KEY (feature, layer)
);
CREATE TABLE IF NOT EXISTS snapshot (
    scope TEXT PRIMARY KEY, key TEXT NOT NULL, files BLOB NOT NULL,
    result BLOB NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS envs (digest TEXT PRIMARY KEY, items TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started REAL NOT NULL, command TEXT NOT NULL,
    hits INTEGER NOT NULL, misses INTEGER NOT NULL, seconds REAL NOT NULL, saved REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Stored:
    """A stored layer result, as found by its key."""

    key: str
    passed: bool
    detail: str
    seconds: float
    extras: dict[str, str | None]  # files observed at run time → their hash then
    created: float  # when it was stored (seconds since the epoch)


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


@dataclass(frozen=True)
class StatRow:
    """What the stat cache knows about one file."""

    size: int
    mtime_ns: int
    ctime_ns: int  # cannot be set back: an in-place edit with its mtime restored still moves it
    inode: int
    recorded_ns: int
    hash: str


def _checksum(key: str, passed: bool, detail: str, seconds: float, extras: str) -> str:
    raw = json.dumps([key, bool(passed), detail, float(seconds), extras]).encode()
    return hashlib.blake2b(raw, digest_size=12).hexdigest()


def set_aside(folder: Path, reason: str) -> str:
    """Move a damaged database (with its WAL) out of the way; return the one-line warning."""
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


class StoreDamaged(Exception):
    """The database file cannot be trusted (corrupt, foreign, another schema)."""


class Store:
    """An open store. Reads never raise for damage: a damaged store is set aside and rebuilt."""

    def __init__(self, folder: Path, set_aside: bool = True) -> None:
        """Open (or create) the store; with ``set_aside=False`` damage raises StoreDamaged."""
        self.folder = folder
        self.path = folder / _DB_NAME
        self.warnings: list[str] = []
        if set_aside:
            self._db = self._open()
            return
        self._prepare_folder()
        try:
            self._db = self._open_checked()
        except sqlite3.DatabaseError as exc:
            raise StoreDamaged(str(exc)) from None

    # -- opening, damage ---------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 30000")
        # In WAL mode NORMAL never corrupts the file; a crash may lose the last transaction,
        # which only means re-running those layers. FULL cost an fsync per run.
        db.execute("PRAGMA synchronous = NORMAL")
        return db

    def _prepare_folder(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        ignore = self.folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n")

    def _open(self) -> sqlite3.Connection:
        self._prepare_folder()
        try:
            return self._open_checked()
        except (sqlite3.DatabaseError, StoreDamaged) as exc:
            self._set_aside(str(exc))
            return self._open_checked()

    def _open_checked(self) -> sqlite3.Connection:
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
                elif version != SCHEMA_VERSION:
                    raise StoreDamaged(
                        f"schema version {version}, this lockgate uses {SCHEMA_VERSION}"
                    )
            db.execute("PRAGMA journal_mode = WAL")
        except BaseException:
            db.close()
            raise
        return db

    def _set_aside(self, reason: str) -> None:
        self.warnings.append(set_aside(self.folder, reason))

    def _recover(self, exc: sqlite3.DatabaseError) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        self._set_aside(str(exc))
        self._db = self._open_checked()

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def clear(self) -> None:
        """Remove every stored row."""
        with _transaction(self._db):
            for table in ("stat", "facts", "results", "latest", "envs", "runs", "snapshot"):
                self._db.execute(f"DELETE FROM {table}")

    # -- stat cache and facts ------------------------------------------------------------

    def stat_rows(self) -> dict[str, StatRow]:
        """The whole stat cache."""
        try:
            rows = self._db.execute(
                "SELECT path, size, mtime_ns, ctime_ns, inode, recorded_ns, hash FROM stat"
            ).fetchall()
        except sqlite3.DatabaseError as exc:
            self._recover(exc)
            return {}
        return {r[0]: StatRow(*r[1:]) for r in rows}

    def facts(self, hashes: Iterable[str]) -> dict[str, str]:
        """Stored parse results (JSON text) for the given content hashes."""
        out: dict[str, str] = {}
        try:
            for chunk in _chunks(list(hashes)):
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT hash, data FROM facts WHERE hash IN ({marks})", chunk
                )
                out.update(rows.fetchall())
        except sqlite3.DatabaseError as exc:
            self._recover(exc)
            return {}
        return out

    # -- results -------------------------------------------------------------------------

    def lookup(self, keys: Iterable[str]) -> dict[str, Stored]:
        """Stored results for ``keys``; rows whose checksum does not match are ignored."""
        out: dict[str, Stored] = {}
        try:
            for chunk in _chunks(list(keys)):
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    "SELECT key, passed, detail, seconds, extras, checksum, created FROM results "
                    f"WHERE key IN ({marks})",
                    chunk,
                ).fetchall()
                for key, passed, detail, seconds, extras, checksum, created in rows:
                    if checksum != _checksum(key, bool(passed), detail, seconds, extras):
                        continue
                    out[key] = Stored(
                        key, bool(passed), detail, seconds, json.loads(extras), created
                    )
        except (sqlite3.DatabaseError, ValueError) as exc:
            self._recover(sqlite3.DatabaseError(str(exc)))
            return {}
        return out

    def latest_inputs(self, feature: str) -> dict[str, tuple[str, dict[str, Any]]]:
        """Per layer: the key and inputs of the last result stored for ``feature``."""
        try:
            rows = self._db.execute(
                "SELECT l.layer, r.key, r.inputs FROM latest l JOIN results r ON r.key = l.key "
                "WHERE l.feature = ?",
                (feature,),
            ).fetchall()
        except sqlite3.DatabaseError as exc:
            self._recover(exc)
            return {}
        return {layer: (key, json.loads(zlib.decompress(blob))) for layer, key, blob in rows}

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
        run: tuple[str, int, int, float, float] | None,
        env: tuple[str, dict[str, str]] | None = None,
    ) -> None:
        """Store one run's new results, stat cache and facts in one transaction."""
        now = time.time()
        result_rows = []
        for r in results:
            extras = json.dumps(r.extras, sort_keys=True)
            blob = zlib.compress(json.dumps(r.inputs, sort_keys=True).encode(), 1)
            checksum = _checksum(r.key, r.passed, r.detail, r.seconds, extras)
            result_rows.append(
                (
                    r.key,
                    r.layer,
                    r.feature,
                    int(r.passed),
                    r.detail,
                    r.seconds,
                    extras,
                    blob,
                    now,
                    checksum,
                )
            )
        try:
            with _transaction(self._db):
                self._db.executemany(
                    "INSERT OR REPLACE INTO results VALUES (?,?,?,?,?,?,?,?,?,?)", result_rows
                )
                self._db.executemany(
                    "INSERT OR REPLACE INTO latest VALUES (?,?,?)",
                    [(r.feature, r.layer, r.key) for r in results],
                )
                self._db.executemany(
                    "INSERT OR REPLACE INTO stat VALUES (?,?,?,?,?,?,?)",
                    [
                        (p, s.size, s.mtime_ns, s.ctime_ns, s.inode, s.recorded_ns, s.hash)
                        for p, s in stats.items()
                    ],
                )
                self._db.executemany("INSERT OR IGNORE INTO facts VALUES (?,?)", facts.items())
                if env is not None and results:
                    self._db.execute(
                        "INSERT OR IGNORE INTO envs VALUES (?,?)", (env[0], json.dumps(env[1]))
                    )
                if run is not None:
                    self._db.execute(
                        "INSERT INTO runs (started, command, hits, misses, seconds, saved) "
                        "VALUES (?,?,?,?,?,?)",
                        (now, *run),
                    )
        except sqlite3.DatabaseError as exc:
            self.warnings.append(f"could not write the store ({exc}); results were not saved")

    # -- the no-change fast path ----------------------------------------------------------

    def snapshot(self, scope: str) -> tuple[str, list[list[Any]], dict[str, Any]] | None:
        """The last full run of ``scope`` (which layers ran): key, files with their stat, result."""
        try:
            row = self._db.execute(
                "SELECT key, files, result FROM snapshot WHERE scope = ?", (scope,)
            ).fetchone()
            if row is None:
                return None
            return row[0], json.loads(zlib.decompress(row[1])), json.loads(zlib.decompress(row[2]))
        except (sqlite3.DatabaseError, ValueError, zlib.error):
            return None  # an unreadable snapshot only costs the full path

    def save_snapshot(
        self, scope: str, key: str, files: list[list[Any]], result: dict[str, Any]
    ) -> None:
        """Replace the recorded full run of ``scope``."""
        blobs = [zlib.compress(json.dumps(x).encode(), 1) for x in (files, result)]
        try:
            with _transaction(self._db):
                self._db.execute(
                    "INSERT OR REPLACE INTO snapshot VALUES (?, ?, ?, ?, ?)",
                    (scope, key, blobs[0], blobs[1], time.time()),
                )
        except sqlite3.DatabaseError as exc:
            self.warnings.append(f"could not write the store ({exc})")

    def record_run(
        self, command: str, hits: int, misses: int, seconds: float, saved: float
    ) -> None:
        """Add one run to the statistics."""
        try:
            with _transaction(self._db):
                self._db.execute(
                    "INSERT INTO runs (started, command, hits, misses, seconds, saved) "
                    "VALUES (?,?,?,?,?,?)",
                    (time.time(), command, hits, misses, seconds, saved),
                )
        except sqlite3.DatabaseError as exc:
            self.warnings.append(f"could not write the store ({exc})")

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

    def runs(self, limit: int) -> list[tuple[float, str, int, int, float, float]]:
        """The last runs, newest first: (started, command, hits, misses, seconds, saved)."""
        return list(
            self._db.execute(
                "SELECT started, command, hits, misses, seconds, saved FROM runs "
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

    def unsound_keys(self) -> list[str]:
        """Results whose checksum fails or whose stored inputs cannot be read."""
        bad = []
        rows = self._db.execute(
            "SELECT key, passed, detail, seconds, extras, checksum, inputs FROM results"
        )
        for key, passed, detail, seconds, extras, checksum, blob in rows:
            try:
                sound = checksum == _checksum(key, bool(passed), detail, seconds, extras)
                json.loads(extras)
                json.loads(zlib.decompress(blob))
            except (ValueError, TypeError, zlib.error):
                sound = False
            if not sound:
                bad.append(key)
        return bad

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
        self._db.execute("VACUUM")

    def rebuild(self) -> tuple[int, int]:
        """Copy every sound row into a new database file that replaces this one.

        Returns (results kept, results dropped). Rows that cannot be read are dropped.
        """
        fresh_path = self.folder / f"{_DB_NAME}.rebuild-{os.getpid()}"
        fresh_path.unlink(missing_ok=True)
        kept = dropped = 0
        fresh = sqlite3.connect(fresh_path, isolation_level=None)
        try:
            with _transaction(fresh):
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        fresh.execute(statement)
                fresh.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                for table in ("stat", "facts", "latest", "envs", "runs"):
                    for row in _readable_rows(self._db, table):
                        marks = ",".join("?" * len(row))
                        fresh.execute(f"INSERT OR IGNORE INTO {table} VALUES ({marks})", row)
                bad = set(_safe(self.unsound_keys, []))
                for row in _readable_rows(self._db, "results"):
                    if row[0] in bad:
                        dropped += 1
                        continue
                    fresh.execute(
                        f"INSERT OR IGNORE INTO results VALUES ({','.join('?' * 10)})", row
                    )
                    kept += 1
        finally:
            fresh.close()
        self._db.close()
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        os.replace(fresh_path, self.path)
        self._db = self._open_checked()
        return kept, dropped


def _readable_rows(db: sqlite3.Connection, table: str) -> list[tuple[Any, ...]]:
    """Rows of ``table`` read one rowid at a time, skipping the ones damage made unreadable."""
    try:
        ids = [r[0] for r in db.execute(f"SELECT rowid FROM {table}")]
    except sqlite3.DatabaseError:
        return []
    rows = []
    for rowid in ids:
        try:
            row = db.execute(f"SELECT * FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
        except sqlite3.DatabaseError:
            continue
        if row is not None:
            rows.append(tuple(row))
    return rows


def _safe(func: Any, default: Any) -> Any:
    try:
        return func()
    except sqlite3.DatabaseError:
        return default


def _chunks(items: list[str], size: int = 900) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
