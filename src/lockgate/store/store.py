"""The result store's data API: what the rest of lockgate calls, and never a line of SQL.

The store is two layers, like coverage.py's: :mod:`lockgate.store.db` opens the SQLite file
(pragmas, locks, damage, recovery) and :mod:`lockgate.store.schema` defines its tables; on top,
:class:`Store` reads and writes signed rows through :mod:`~lockgate.store.results` (what a run
reuses and writes), :mod:`~lockgate.store.history` (past runs) and
:mod:`~lockgate.store.upkeep` (checks, pruning, rebuild).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from lockgate.store import history, results, scores, signing, upkeep
from lockgate.store.db import Database, StoreDamaged, store_dir
from lockgate.store.results import NewResult, RunRecord, StatRow, Stored, variant_of

__all__ = ["NewResult", "StatRow", "Store", "StoreDamaged", "Stored", "store_dir", "variant_of"]


class Store:
    """An open store. Damage is set aside and rebuilt; a store that is locked by another
    process or read-only is used read-only (``writable`` False), with one warning."""

    def __init__(self, folder: Path, set_aside: bool = True) -> None:
        """Open (or create) the store; with ``set_aside=False`` damage raises StoreDamaged."""
        self.folder = folder
        self._secret = signing.secret()
        self._db = Database(folder, set_aside)
        self.path = self._db.path

    @property
    def warnings(self) -> list[str]:
        """What this run should tell about the store (set aside, read-only, not written)."""
        return self._db.warnings

    @property
    def writable(self) -> bool:
        """False when this run only reads the store (locked, read-only, or in memory)."""
        return self._db.writable

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    # -- what a run reuses --------------------------------------------------------------

    def stat_rows(self) -> dict[str, StatRow]:
        """The whole stat cache; rows that fail verification are left out (their files re-read)."""
        return results.stat_rows(self._db, self._secret)

    def facts(self, hashes: Iterable[str]) -> dict[str, str]:
        """Stored parse results (JSON text) for the given content hashes, verified."""
        return results.facts(self._db, self._secret, hashes)

    def facts_named(self, prefix: str) -> dict[str, str]:
        """Every stored fact whose name starts with ``prefix`` (records of test files)."""
        return results.facts_named(self._db, self._secret, prefix)

    def lookup(self, keys: Iterable[str]) -> dict[str, list[Stored]]:
        """Stored results for ``keys``, each key's variants newest first; a row that fails
        verification is left out."""
        return results.lookup(self._db, self._secret, keys)

    def latest_of(self, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """(feature, layer) → the inputs of the last (verified) result stored for it."""
        return results.latest_of(self._db, self._secret, wanted)

    def sound_results(self) -> list[NewResult]:
        """Every stored result (each variant) that verifies and decodes, with its inputs."""
        return results.sound_results(self._db, self._secret)

    def earlier_seconds(self, current: set[str]) -> dict[tuple[str, str], float]:
        """(feature, layer) → the seconds its latest result under no ``current`` key took."""
        return results.earlier_seconds(self._db, current)

    def environment(self, env_digest: str) -> dict[str, str]:
        """The items of a stored environment fingerprint (empty when unknown)."""
        return results.environment(self._db, env_digest)

    def write(
        self,
        new: Sequence[NewResult],
        stats: dict[str, StatRow],
        facts: dict[str, str],
        run: RunRecord | None,
        env: tuple[str, dict[str, str]] | None = None,
        reasons: dict[str, Any] | None = None,
        served: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Store one run's new results, stat cache, facts, run and reasons in one transaction;
        ``served`` (key, variant) of older variants it reused become their key's newest."""
        results.write(self._db, self._secret, new, stats, facts, run, env, reasons, served)

    # -- the no-change fast path ----------------------------------------------------------

    def snapshot(self, scope: str) -> tuple[str, list[list[Any]], dict[str, Any]] | None:
        """The last full run of ``scope`` (which layers ran): key, files with their stat, result."""
        return results.snapshot(self._db, self._secret, scope)

    def save_snapshot(
        self, scope: str, key: str, files: list[list[Any]], result: dict[str, Any]
    ) -> None:
        """Replace the recorded full run of ``scope``."""
        results.save_snapshot(self._db, self._secret, scope, key, files, result)

    # -- past runs ------------------------------------------------------------------------

    def record_run(
        self,
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
        history.record_run(
            self._db, command, hits, misses, seconds, saved, scope, mean_score, remote_hits
        )

    def last_run(self) -> tuple[int, float, str, int, int, float, str | None] | None:
        """The newest run: (id, started, command, hits, misses, seconds, scope)."""
        return history.last_run(self._db)

    def next_run(self) -> int:
        """The number the next run will have (audit mode's default seed)."""
        return history.next_run(self._db)

    def runs(self, limit: int) -> list[history.Run]:
        """The last runs, newest first (see :func:`lockgate.store.history.runs`)."""
        return history.runs(self._db, limit)

    def reasons(self, scope: str) -> tuple[int, dict[str, Any]] | None:
        """The run id and record of why layers re-ran, of the last full run of ``scope``."""
        return history.reasons(self._db, self._secret, scope)

    def layer_sizes(self) -> list[tuple[str, int, int]]:
        """(layer, entries, bytes) per layer."""
        return history.layer_sizes(self._db)

    def result_ages(self) -> list[float]:
        """The creation time of every stored result."""
        return history.result_ages(self._db)

    # -- the score history per commit ---------------------------------------------------

    def record_scores(self, commit: str, recorded: float, data: bytes, drop: list[str]) -> None:
        """Store ``commit``'s score record and delete the records compaction drops."""
        scores.record(self._db, self._secret, commit, recorded, data, drop)

    def score_rows(self) -> list[scores.ScoreRow]:
        """Every sound score record, oldest first: (commit, recorded, data)."""
        return scores.rows(self._db, self._secret)

    def score_stamps(self) -> list[tuple[str, float]]:
        """(commit, recorded) of every score record."""
        return scores.stamps(self._db)

    # -- upkeep: health, pruning, repair --------------------------------------------------

    def integrity(self) -> list[str]:
        """``PRAGMA integrity_check`` messages; ``["ok"]`` for a sound file."""
        return upkeep.integrity(self._db)

    def schema_version(self) -> int:
        """The schema version the file says it has."""
        return upkeep.schema_version(self._db)

    def size_bytes(self) -> int:
        """The database file with its WAL."""
        return self._db.size_bytes()

    def unsound(self) -> dict[str, list[int]]:
        """Per signed table, the rowids of rows that fail verification or cannot be read."""
        return upkeep.unsound(self._db, self._secret)

    def orphaned_latest(self) -> int:
        """``latest`` rows that point at no stored result."""
        return upkeep.orphaned_latest(self._db)

    def result_keys(self) -> list[str]:
        """The key of every stored result (a key once per variant)."""
        return upkeep.result_keys(self._db)

    def prune(self, stamp: float) -> int:
        """Remove the results created before ``stamp``; return how many were removed."""
        return upkeep.prune(self._db, stamp)

    def clear(self) -> None:
        """Remove every stored row."""
        upkeep.clear(self._db)

    def drop(self, rows: dict[str, list[int]]) -> None:
        """Remove the given rows (by table and rowid), and what points at removed results."""
        upkeep.drop(self._db, rows)

    def delete(self, keys: Iterable[str]) -> int:
        """Remove every result of ``keys`` (and what points at them); return how many."""
        return upkeep.delete(self._db, keys)

    def vacuum(self) -> None:
        """Give the space of removed rows back to the file system."""
        upkeep.vacuum(self._db)

    def rebuild(self) -> tuple[int, int]:
        """Copy every sound row into a new file that replaces this one: (kept, dropped) results."""
        return upkeep.rebuild(self._db, self._secret)
