"""Reuse: a stored result of a planned key is reused unless it expired, ``--retry-failed``
refuses it, or an extra of it no longer holds (a file it read changed, say). A key may hold
several results, one per content its runs observed beyond the key's inputs: the newest whose
extras all hold is served, so a reverted edit finds the result of the content it restores."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from lockgate.execution.child.naming import ABOVE
from lockgate.keys.extras import BLOCK_FACTS, BLOCKS, PROBE_SET, SET_FACTS, Extras, fact_names
from lockgate.keys.hashing import LISTING
from lockgate.keys.plan import Planned
from lockgate.layers import optimized
from lockgate.layers.base import Context
from lockgate.model import LayerResult
from lockgate.project.config import Config
from lockgate.remote.client import Remote
from lockgate.remote.entry import Entry
from lockgate.store.store import NewResult, Store, Stored, variant_of
from lockgate.why.reasons import (
    RECHECKED,
    RETRY,
    Change,
    Reason,
    expired,
    expired_load_dependent,
    extras_moved,
    file_change,
)

LOAD_DEPENDENT, FLAKY = "load_dependent", "flaky"  # marks of stored results
# the mark of a result an audit stored in place of a wrong one (keys/audit.py), for `why`
AUDIT_MISMATCH = "audit_mismatch"
# the detail a re-checked stored failure that passed ends with (it is flaky, as a pass on retry)
RECHECK_PASSED = "; flaky: failed when stored, passed when re-checked before it could block"


def expires(
    config: Config, layer: str, created: float, load_dependent: bool = False
) -> float | None:
    """When a result goes stale: a performance measure after ``ttl``, a load-dependent
    failure (only failures are) after ``retry_load_dependent_after``; else never."""
    ends = []
    if layer == optimized.NAME:
        ends.append(created + config.performance.ttl)
    if load_dependent:
        ends.append(created + config.retry_load_dependent_after)
    return min(ends, default=None)


def marks_of(result: LayerResult) -> frozenset[str]:
    """The store's marks of a result."""
    return frozenset(
        name
        for name, on in (
            (LOAD_DEPENDENT, result.load_dependent),
            (FLAKY, result.flaky),
            (AUDIT_MISMATCH, result.audit_mismatch),
        )
        if on
    )


class Reuser:
    """Fills in every planned result the store (or the remote) holds and may be reused."""

    def __init__(
        self,
        ctx: Context,
        store: Store | None,
        extras: Extras,
        retry_failed: bool,
        remote: Remote | None = None,
    ) -> None:
        self.ctx = ctx
        self.store = store
        self.extras = extras
        self.retry_failed = retry_failed
        self.remote = remote
        self.fetched: dict[str, list[Entry]] = {}  # verified remote entries this run read
        self.served: dict[str, Entry] = {}  # key → the fetched entry this run reused for it
        self.older: dict[str, str] = {}  # key → a local variant reused that was not its newest
        self._sets: dict[str, list[str]] = {}  # probe sets and block lists stored results use
        self._texts: dict[str, str] = {}  # the text each of them was decoded from (remote)
        self._prints: dict[tuple[str, str], str | None] = {}

    def reuse(self, planned: list[Planned]) -> dict[str, Stored]:
        """Fill in every planned result that the store, else the remote, holds under its key
        for today's contents: of a key's results (one per content its runs observed beyond
        the key's inputs), the newest whose extras all hold, unless it is refused (expired,
        ``--retry-failed``), which runs the item.

        Returns, per key held, the result that decided: the one served or refused for today's
        contents, else the newest (whose refusal, its extras moved, is the item's reason).
        """
        if self.store is None:
            return {}
        found = self.store.lookup(p.key for p in planned)
        self.load_facts({n for held in found.values() for s in held for n in fact_names(s.extras)})
        chosen: dict[str, Stored] = {}
        current: set[int] = set()  # items a local result describes today's contents for
        for item in planned:
            held = found.get(item.key)
            if held is None:
                continue
            chosen[item.key], holds = self._serve(item, held)
            if holds:
                current.add(id(item))
            if item.result is not None and chosen[item.key] is not held[0]:
                self.older[item.key] = chosen[item.key].variant
        if self.remote is not None:
            # one batched read for every key the local store holds no result of today's for
            wanted = [p for p in planned if id(p) not in current]
            self.fetched = self.remote.fetch(list(dict.fromkeys(p.key for p in wanted)))
            for entries in self.fetched.values():
                for entry in entries:
                    self.add_facts(entry.facts)
            for item in wanted:
                self._serve_remote(item, found.get(item.key, []), chosen)
        return chosen

    def _serve_remote(self, item: Planned, local: list[Stored], chosen: dict[str, Stored]) -> None:
        """Serve the item from the newest fetched entry of its key whose extras hold; a variant
        the local store holds was judged there already."""
        known = {s.variant for s in local}
        offered = [
            (entry, held)
            for entry in self.fetched.get(item.key, [])
            if (held := _stored(entry.result)).variant not in known
        ]
        if not offered:
            return
        reason = item.reason
        decided, holds = self._serve(item, [held for _, held in offered])
        if item.result is not None:
            self.served[item.key] = next(e for e, held in offered if held is decided)
        if holds or item.key not in chosen:
            chosen[item.key] = decided
        elif reason is not None:
            item.reason = reason  # none of either holds: the local newest's refusal, as before

    def _serve(self, item: Planned, held: list[Stored]) -> tuple[Stored, bool]:
        """Judge the item by the first of ``held`` (newest first) whose extras all hold: serve
        it, or its refusal (expired, ``--retry-failed``) is the item's reason; when none
        holds, the newest's refusal is. Returns the result that decided, and whether its
        extras hold."""
        for stored in held:
            if not any(self.extra_moved(n, v) for n, v in stored.extras.items()):
                decided, holds = stored, True
                break
        else:
            decided, holds = held[0], False
        item.reason = self._refusal(item, decided)
        if item.reason is None:
            config = self.ctx.project.config
            load_dependent = LOAD_DEPENDENT in decided.marks
            item.result = LayerResult(
                decided.passed,
                decided.detail,
                decided.seconds,
                cached=True,
                expires=expires(config, item.layer, decided.created, load_dependent),
                load_dependent=load_dependent,
                flaky=FLAKY in decided.marks,
            )
        return decided, holds

    def recheck(self, planned: list[Planned], counts: Callable[[Planned], bool]) -> None:
        """Run again every reused failure that ``counts`` (a deploy: one a gate would block
        on), once, instead of serving it; see "Stored failures are re-checked before they
        block" in docs/design.md."""
        for item in planned:
            result = item.result
            if result is None or not result.cached or result.passed or not counts(item):
                continue
            item.result, item.reason, item.rechecked = None, RECHECKED, True
            # not served: the remote's copy must not be stored beside the fresh result
            self.served.pop(item.key, None)
            self.older.pop(item.key, None)

    def _refusal(self, item: Planned, stored: Stored) -> Reason | None:
        """Why the stored result of the item's key cannot be reused; None when it can."""
        if self.retry_failed and not stored.passed:
            return RETRY
        config = self.ctx.project.config
        load_dependent = LOAD_DEPENDENT in stored.marks
        ends = expires(config, item.layer, stored.created, load_dependent)
        if ends is not None and ends <= time.time():
            if load_dependent and (
                item.layer != optimized.NAME
                or stored.created + config.retry_load_dependent_after <= time.time()
            ):
                return expired_load_dependent(stored.created, config.retry_load_dependent_after)
            return expired(stored.created, config.performance.ttl)
        moved = [
            self._change(name, expected)
            for name, expected in stored.extras.items()
            if self.extra_moved(name, expected)
        ]
        return extras_moved(moved) if moved else None

    def _change(self, name: str, expected: str | None) -> Change:
        """What moved of an extras entry that no longer holds, as the user reads it."""
        hasher = self.ctx.hasher
        path, blocks, _ = name.partition(BLOCKS)
        if name.startswith(PROBE_SET):
            members = self._sets.get(f"{SET_FACTS}{name[len(PROBE_SET) :]}")
            if members is None:
                return Change("record missing", "the files an import looked for")
            present = [m for m in members if hasher.hash(m) is not None]
            where = ", ".join(present[:3]) or f"one of {len(members)} candidates"
            return Change("file added or removed where an import looks", where)
        if blocks:
            return Change("code the run executed changed", path)
        if path.endswith(LISTING):
            return Change("folder listing changed", path[: -len(LISTING)] or ".")
        if path.endswith(ABOVE):
            return Change("configuration above the root changed", path[: -len(ABOVE)])
        return file_change(path, expected, hasher.hash(path))

    def extra_moved(self, name: str, expected: str | None) -> bool:
        """True when an extras entry of a stored result no longer holds: a file's content,
        a probe set's state, or a file's block fingerprint over the bodies its run executed."""
        if name.startswith(PROBE_SET):
            members = self._sets.get(f"{SET_FACTS}{name[len(PROBE_SET) :]}")
            return members is None or self.extras.set_state(name, members) != expected
        path, blocks, names = name.partition(BLOCKS)
        if blocks:
            return self._fingerprint(path, names) != expected
        return self.ctx.hasher.hash(path) != expected

    def _fingerprint(self, path: str, names: str) -> str | None:
        """The block fingerprint of ``path`` now over the bodies listed as ``names``."""
        found = self._prints.get((path, names), "")
        if found == "":
            facts = self.ctx.facts.get(path)
            members = self._sets.get(f"{BLOCK_FACTS}{names}")
            found = None
            if facts is not None and facts.outline is not None and members is not None:
                found = facts.outline.fingerprint(members)
            self._prints[(path, names)] = found
        return found

    def add_facts(self, facts: dict[str, str]) -> None:
        """Probe sets and block lists that came with a remote entry. Most entries carry the
        same few sets: a text already decoded under its name is not decoded again (a name
        with another text is, and replaces it, as each entry's facts always did)."""
        for name, data in facts.items():
            if self._texts.get(name) != data:
                self._texts[name] = data
                self._sets[name] = json.loads(data)

    def load_facts(self, wanted: set[str]) -> None:
        """Read the probe sets and block lists named ``wanted`` that are not read yet."""
        assert self.store is not None
        wanted -= self._sets.keys()
        self._sets.update(
            (name, json.loads(data)) for name, data in self.store.facts(wanted).items()
        )


def settle_rechecks(planned: list[Planned]) -> None:
    """A re-checked stored failure that passed is flaky: the pass is what is stored and served
    from now on, marked as a pass on a retry is; one that failed again stands as it ran."""
    for item in planned:
        result = item.result
        if item.rechecked and result is not None and result.passed:
            result.flaky = True
            result.detail += RECHECK_PASSED


def _stored(result: NewResult) -> Stored:
    """A remote entry's result as the local store would hold it."""
    assert result.created is not None  # entries always carry it
    return Stored(
        result.key,
        result.passed,
        result.detail,
        result.seconds,
        result.extras,
        result.created,
        result.marks,
        variant_of(result.extras),
    )
