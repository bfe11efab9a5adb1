"""The store's SQLite connection: pragmas, the busy timeout, damage, set-aside and recovery.

The only module of lockgate that imports ``sqlite3``. The rest of the store reads and writes
through a :class:`Database` and catches :data:`DatabaseError`, which is sqlite3's own class:
an error that reaches the user reads as it always did.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from lockgate.errors import LockgateError
from lockgate.plainfiles import kind
from lockgate.store import pieces, schema

DB_NAME = "store.sqlite"
BUSY_ENV = "LOCKGATE_BUSY_TIMEOUT"
DEFAULT_BUSY_TIMEOUT = 30.0

Connection = sqlite3.Connection
Cursor = sqlite3.Cursor
DatabaseError = sqlite3.DatabaseError


class StoreDamaged(Exception):
    """The database file cannot be trusted (corrupt, foreign, another schema)."""


# What lockgate itself writes in the store's folder (the hook writes warm.log).
OWN_FILES = (".gitignore", DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", "warm.lock", "warm.log")


def store_dir(root: Path) -> Path:
    """The store's folder: ``LOCKGATE_DIR`` or ``.lockgate`` in the project root.

    Refused (LockgateError) unless it is a plain folder, or absent: a ``.lockgate`` committed as
    a symlink into the source made the store and its ``*`` .gitignore land there, hiding new
    source files from git. The files lockgate writes in it must be regular files too.
    """
    override = os.environ.get("LOCKGATE_DIR")
    folder = Path(override) if override else root / ".lockgate"
    _check_plain(folder, "LOCKGATE_DIR" if override else "")
    return folder


def _check_plain(folder: Path, setting: str) -> None:
    way_out = f"set {setting} to the folder itself" if setting else "set LOCKGATE_DIR elsewhere"
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return
    except NotADirectoryError:
        raise LockgateError(
            f"{folder}{f' ({setting})' if setting else ''}: lockgate keeps its store in this "
            f"folder, but a folder above it is a file; {way_out}"
        ) from None
    if stat.S_ISLNK(info.st_mode):
        raise LockgateError(
            f"{folder}{f' ({setting})' if setting else ''}: lockgate keeps its store in this "
            f"folder, but it is a symlink (to {os.readlink(folder)!r}) and lockgate writes "
            f"nothing through a link; remove it, or {way_out}"
        )
    if not stat.S_ISDIR(info.st_mode):
        what = "a file" if stat.S_ISREG(info.st_mode) else kind(info.st_mode)
        raise LockgateError(
            f"{folder}: lockgate keeps its store in this folder, but it is {what}, "
            f"not a folder; remove it or {way_out}"
        )
    for name in OWN_FILES:
        try:
            mode = os.lstat(folder / name).st_mode
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(mode):
            raise LockgateError(
                f"{folder / name}: lockgate writes this file of its store, but it is "
                f"{kind(mode)}, not a regular file, and lockgate writes nothing through it; "
                "remove it"
            )


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


def set_aside(folder: Path, reason: str) -> str:
    """Move a damaged database (with its WAL) out of the way; return the one-line warning.

    Raises OSError when the files cannot be moved (a read-only folder).
    """
    path = folder / DB_NAME
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = folder / f"{DB_NAME}.damaged-{stamp}-{os.getpid()}"
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            os.replace(part, Path(f"{aside}{suffix}"))
    return (
        f"the store at {path} could not be used ({reason}); "
        f"moved it to {aside.name} and started a new one"
    )


def connect(path: Path) -> Connection:
    """A plain connection to a new database file (``rebuild`` copies into one)."""
    return sqlite3.connect(path, isolation_level=None)


def create_tables(db: Connection, stamp: bool) -> None:
    """Create every table of the schema; ``stamp`` also records its version."""
    for statement in schema.TABLES:
        db.execute(statement)
    if stamp:
        db.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION}")


@contextlib.contextmanager
def transaction(db: Connection) -> Iterator[None]:
    """One write transaction, taking the lock at once; rolled back on any exception."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def chunks(items: Sequence[Any], size: int = 900) -> Iterator[list[Any]]:
    """``items`` in slices that stay under SQLite's limit of bound parameters."""
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def _variant(extras: object) -> str:
    """:func:`schema.variant` for SQL; a value that is no text (damage) gets a variant it can
    never match, so the row fails :func:`schema.consistent` and repair drops it."""
    return schema.variant(extras if isinstance(extras, str) else repr(extras))


def _compact(db: Connection) -> None:
    """Give a migrated store's freed pages back once: the migration from 9 rewrote Faker's
    335 MB into 23 MB of rows, and left a 639 MB file with its WAL. Another process using the
    store only defers it (to ``cache prune``'s VACUUM)."""
    with contextlib.suppress(sqlite3.Error):
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _is_damage(exc: BaseException) -> bool:
    """Damage of the file itself, as opposed to a lock, permissions or a full disk."""
    if isinstance(exc, StoreDamaged):
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _is_busy(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class Database:
    """The open database file. Damage is set aside and rebuilt; a file that is locked by
    another process or read-only is used read-only (``writable`` False), with one warning."""

    def __init__(self, folder: Path, set_aside: bool = True) -> None:
        """Open (or create) the database; with ``set_aside=False`` damage raises StoreDamaged."""
        self.folder = folder
        self.path = folder / DB_NAME
        self.warnings: list[str] = []
        self.writable = True
        self._timeout = busy_timeout()
        self._prepare_folder()
        try:
            self.conn = self._open_checked()
        except (sqlite3.DatabaseError, StoreDamaged) as exc:
            if not _is_damage(exc):
                self.conn = self._open_read_only(exc)
            elif not set_aside:
                raise StoreDamaged(str(exc)) from None
            else:
                self.conn = self._replace_damaged(str(exc))

    # -- statements --------------------------------------------------------------------

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Cursor:
        """Run one statement."""
        return self.conn.execute(sql, parameters)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor:
        """Run one statement per row."""
        return self.conn.executemany(sql, rows)

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """One write transaction on this database."""
        return transaction(self.conn)

    def require_writable(self) -> None:
        """Refuse a change to a store this run may only read."""
        if not self.writable:
            raise LockgateError(" ".join(self.warnings) or f"{self.path}: cannot be written")

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    # -- opening, damage ---------------------------------------------------------------

    def _connect(self) -> Connection:
        db = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None)
        db.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
        # In WAL mode NORMAL never corrupts the file; a crash may lose the last transaction,
        # which only means re-running those layers. FULL cost an fsync per run.
        db.execute("PRAGMA synchronous = NORMAL")
        # what the migration from schema 6 files each result under
        db.create_function(schema.VARIANT_SQL, 1, _variant, deterministic=True)
        return db

    def _prepare_folder(self) -> None:
        _check_plain(self.folder, "")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _check_plain(self.folder, "")  # made meanwhile by another process, or a link
            # never through a link, never over a file another process just made
            with contextlib.suppress(FileExistsError):
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
                fd = os.open(self.folder / ".gitignore", flags, 0o644)
                with os.fdopen(fd, "w") as fh:
                    fh.write("*\n")
        except OSError as exc:
            if self.path.is_file():
                return  # an existing store in a folder we cannot write: opened read-only
            raise LockgateError(
                f"{self.folder}: cannot create lockgate's store ({exc.strerror}); "
                "set LOCKGATE_DIR to a writable folder, or pass --no-cache"
            ) from None

    def _open_checked(self) -> Connection:
        if self.path.exists() and not (
            os.access(self.path, os.W_OK) and os.access(self.folder, os.W_OK)
        ):
            raise sqlite3.OperationalError("the file or its folder is read-only")
        db = self._connect()
        try:
            # Checked inside a write transaction so that two runs creating the store at
            # once never see each other's half-made schema.
            migrated = False
            with transaction(db):
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version == 0:
                    tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                    if tables:
                        raise StoreDamaged("a database that is not a lockgate store")
                    create_tables(db, stamp=True)
                elif version in schema.MIGRATIONS:
                    for step in range(version, schema.SCHEMA_VERSION):
                        for statement in schema.MIGRATIONS[step]:
                            if statement == schema.SPLIT_STEP:
                                pieces.migrate(db)
                            else:
                                db.execute(statement)
                    db.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION}")
                    migrated = True
                elif version != schema.SCHEMA_VERSION:
                    raise StoreDamaged(
                        f"schema version {version}, this lockgate uses {schema.SCHEMA_VERSION}"
                    )
            db.execute("PRAGMA journal_mode = WAL")
            if migrated:
                _compact(db)
        except BaseException:
            db.close()
            raise
        return db

    def _open_read_only(self, cause: BaseException) -> Connection:
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
            if version == schema.SCHEMA_VERSION:
                self.warnings.append(
                    f"the store at {self.path} is used read-only: {why}; this run saves no results"
                )
                return db
            db.close()
            why += f", and it has schema version {version}, not {schema.SCHEMA_VERSION}"
            break
        return self._without_store(f"the store at {self.path} is not used: {why}")

    def _without_store(self, warning: str) -> Connection:
        """An empty store in memory: every lookup misses, nothing is written anywhere."""
        self.warnings.append(warning)
        self.writable = False
        db = sqlite3.connect(":memory:", isolation_level=None)
        create_tables(db, stamp=False)
        return db

    def _replace_damaged(self, reason: str) -> Connection:
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

    def recover(self, exc: DatabaseError) -> None:
        """A read failed: set a damaged store aside; anything else only costs this run's reuse."""
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()
        if _is_damage(exc) and self.writable:
            self.conn = self._replace_damaged(str(exc))
        else:
            self.conn = self._without_store(
                f"could not read the store at {self.path} ({exc}); this run saves no results"
            )

    def replace_file(self, fresh: Path) -> None:
        """Put the database file ``fresh`` in place of this one, and open it."""
        self.conn.close()
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        os.replace(fresh, self.path)
        self.conn = self._open_checked()

    def size_bytes(self) -> int:
        """The database file with its WAL."""
        return sum(
            Path(f"{self.path}{suffix}").stat().st_size
            for suffix in ("", "-wal")
            if Path(f"{self.path}{suffix}").exists()
        )
