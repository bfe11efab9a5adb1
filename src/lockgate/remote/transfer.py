"""``lockgate cache push`` and ``pull``: copy verified results between the local store and the
remote explicitly (a nightly job warming the remote, a laptop about to go offline)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lockgate.errors import LockgateError
from lockgate.keys.extras import fact_names
from lockgate.keys.owners import OWNERS_FACTS, entry_of, named_facts
from lockgate.project.config import load
from lockgate.remote.client import Remote
from lockgate.remote.entry import Entry
from lockgate.remote.settings import Settings, for_pack, resolve
from lockgate.store.store import Store, variant_of

BATCH = 1000  # entries per write: one round trip each


@dataclass(frozen=True)
class Transfer:
    """What one push or pull moved."""

    url: str
    moved: int  # entries written to the remote (push) or to the local store (pull)
    skipped: int  # push: results whose facts are missing; pull: entries stored locally already
    errors: int  # remote entries refused plus remote calls that failed
    warnings: list[str]


def settings(root: Path, flag_url: str | None, pack: Path | None = None) -> Settings:
    """The remote of the project at ``root``, or the pack file ``pack`` with the remote's
    trust; neither set is a usage error here."""
    wanted = load(root).config.remote
    if pack is not None:
        return for_pack(pack.absolute(), wanted)
    found = resolve(flag_url, False, wanted)
    if found is None:
        raise LockgateError(
            "no remote is set: pass --remote URL, set LOCKGATE_REMOTE, "
            "or add [tool.lockgate.remote] url"
        )
    return found


def push(store: Store, target: Settings, keys: set[str] | None = None) -> Transfer:
    """Write every local result that verifies (only those of ``keys`` when given), with the
    probe sets it names."""
    results = [r for r in store.sound_results() if keys is None or r.key in keys]
    names = {n for r in results for n in fact_names(r.extras)}
    facts = store.facts(names)
    entries = []
    for r in results:
        wanted = fact_names(r.extras)
        if all(n in facts for n in wanted):  # without its facts no one could reuse it
            entries.append(Entry(r, {n: facts[n] for n in wanted}))
    records = _record_entries(store)
    remote = Remote(target)
    moved = 0
    try:
        for i in range(0, len(entries), BATCH):
            moved += remote.publish(entries[i : i + BATCH])
        for i in range(0, len(records), BATCH):
            remote.publish(records[i : i + BATCH])
    finally:
        remote.close()
    return Transfer(
        target.shown, moved, len(results) - len(entries), remote.errors, remote.warnings
    )


def _record_entries(store: Store) -> list[Entry]:
    """The stored records of test files (keys.owners), each with the facts it names."""
    found = store.facts_named(OWNERS_FACTS)
    named = store.facts({n for data in found.values() for n in named_facts(data)})
    entries = []
    for name, data in sorted(found.items()):
        wanted = named_facts(data)
        if wanted <= named.keys():
            key = name[len(OWNERS_FACTS) :]
            entries.append(entry_of(key, data, {n: named[n] for n in wanted}))
    return entries


def pull(
    store: Store, target: Settings, keys: set[str], records: dict[str, str] | None = None
) -> Transfer:
    """Copy the remote's verified entries for ``keys`` (the project's current keys) that the
    local store lacks (every variant of each key it does not hold), and ``records``: the
    records of test files (with the facts they name) that the keys were computed with."""
    if not store.writable:
        raise LockgateError(" ".join(store.warnings) or f"{store.path}: cannot be written")
    local = {k: {s.variant for s in held} for k, held in store.lookup(keys).items()}
    remote = Remote(target)
    try:
        fetched = remote.fetch(sorted(keys))
    finally:
        remote.close()
    found = [e for entries in fetched.values() for e in entries]
    new = [e for e in found if variant_of(e.result.extras) not in local.get(e.result.key, ())]
    facts = {k: v for e in new for k, v in e.facts.items()}
    store.write([e.result for e in new], {}, {**(records or {}), **facts}, None)
    return Transfer(target.shown, len(new), len(found) - len(new), remote.errors, remote.warnings)
