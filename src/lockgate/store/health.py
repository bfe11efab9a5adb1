"""Store health: what is damaged, what is stale, and repair that keeps what is sound."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lockgate.store.db import DatabaseError, StoreDamaged, set_aside
from lockgate.store.schema import SCHEMA_VERSION
from lockgate.store.store import Store
from lockgate.words import counted, plural

LARGE_BYTES = 512 * 1024 * 1024
LOW_HIT_RATE = 0.2
RECENT_RUNS = 10


@dataclass
class Finding:
    """One reason for the verdict: ``critical`` and ``warning`` count, ``info`` only informs."""

    level: str
    message: str


@dataclass
class Health:
    """The store's verdict with every reason."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``critical`` if anything is damaged, ``warning`` if anything needs care, else healthy."""
        levels = {f.level for f in self.findings}
        if "critical" in levels:
            return "critical"
        return "warning" if "warning" in levels else "healthy"


def _open(folder: Path) -> tuple[Store | None, str]:
    try:
        return Store(folder, set_aside=False), ""
    except StoreDamaged as exc:
        return None, str(exc)


def check(folder: Path, current: set[str] | None) -> Health:
    """Every check on the store in ``folder``; ``current`` are the keys the project uses now."""
    health = Health(str(folder / "store.sqlite"))
    if not (folder / "store.sqlite").exists():
        health.findings.append(Finding("info", "no store yet: `lockgate align` creates it"))
        return health
    store, problem = _open(folder)
    if store is None:
        health.findings.append(Finding("critical", f"cannot be used: {problem}"))
        return health
    try:
        _checks(store, health, current)
    except DatabaseError as exc:
        health.findings.append(Finding("critical", f"reading it failed: {exc}"))
    finally:
        store.close()
    return health


def _checks(store: Store, health: Health, current: set[str] | None) -> None:
    add = health.findings.append
    version = store.schema_version()
    if version != SCHEMA_VERSION:
        add(Finding("critical", f"schema version {version}, expected {SCHEMA_VERSION}"))
    messages = store.integrity()
    if messages != ["ok"]:
        add(Finding("critical", "integrity check: " + "; ".join(messages[:3])))
    for warning in store.warnings:
        add(Finding("warning", warning))
    unsound = store.unsound()
    if unsound:
        add(
            Finding(
                "critical",
                f"{describe(unsound)} fail verification (altered, or signed under another "
                "key) or cannot be read; `--repair` drops them",
            )
        )
    orphans = store.orphaned_latest()
    if orphans:
        add(Finding("warning", f"{orphans} 'latest' rows point at no stored result"))
    size = store.size_bytes()
    level = "warning" if size > LARGE_BYTES else "info"
    add(Finding(level, f"size {size / 1024 / 1024:.1f} MB"))
    if current is not None:
        keys = store.result_keys()
        stale = sum(1 for k in keys if k not in current)
        add(
            Finding(
                "info",
                f"{stale} of {counted(len(keys), 'result')} no current key reaches "
                "(`lockgate cache clear --stale` removes them)",
            )
        )
    runs = store.runs(RECENT_RUNS)
    hits = sum(r[2] for r in runs)
    total = hits + sum(r[3] for r in runs)
    if total:
        rate = hits / total
        level = "warning" if len(runs) >= 5 and rate < LOW_HIT_RATE else "info"
        last = "the last run" if len(runs) == 1 else f"the last {len(runs)} runs"
        add(Finding(level, f"hit rate {100 * rate:.0f}% over {last}"))


def repair(folder: Path) -> list[str]:
    """Fix what is damaged, keep what is sound; say what was done."""
    done: list[str] = []
    if not (folder / "store.sqlite").exists():
        return done
    store, problem = _open(folder)
    if store is None:
        done.append(set_aside(folder, problem))
        Store(folder).close()
        return done
    try:
        _repair(store, done)
    finally:
        store.close()
    return done


def _repair(store: Store, done: list[str]) -> None:
    try:
        damaged = store.integrity() != ["ok"]
    except DatabaseError:
        damaged = True
    if damaged:
        kept, dropped = store.rebuild()
        done.append(
            f"rebuilt the database: kept {counted(kept, 'result')}, dropped {dropped} damaged "
            + plural(dropped, "one")
        )
    else:
        unsound = store.unsound()
        if unsound:
            store.drop(unsound)
            done.append(f"dropped {describe(unsound)} that failed verification")
    orphans = store.orphaned_latest()
    if orphans:
        store.delete([])  # removes 'latest' rows that point nowhere
        rows = plural(orphans, "row")
        done.append(f"removed {orphans} 'latest' {rows} that pointed at no result")


_NOUNS = {
    "results": ("result", "results"),
    "stat": ("stat row", "stat rows"),
    "facts": ("facts row", "facts rows"),
    "snapshot": ("snapshot", "snapshots"),
    "reasons": ("record of re-run reasons", "records of re-run reasons"),
    "scores": ("score record", "score records"),
    "pieces": ("damaged piece of extras", "damaged pieces of extras"),
}


def describe(rows: dict[str, list[int]]) -> str:
    """``19 results, 9 stat rows and 1 snapshot``."""
    parts = [f"{len(ids)} {_NOUNS[table][len(ids) != 1]}" for table, ids in rows.items() if ids]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)
