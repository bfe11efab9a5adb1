"""Which test files judge each feature: from the tree, and from what each test file did when it
ran with its current inputs.

The tree gives the static owners (:func:`lockgate.layers.tested.owners`): the test files whose
imports name the feature's module, those named after it, and ``[tool.lockgate.owners]``. A run
adds what no import shows (``test_owners``):

- ``imports``: a test file whose own code imported the module by name at run time (through a
  ``sys.path`` entry of its own, say);
- ``run`` (the default) also: for a feature no test file imports, the test files that ran its
  code themselves (a plugin class loaded by name from a registry or a settings string).

What a test file did is a function of its inputs: it is recorded after it ran, as a fact under
the key it has as a suite file with everything that run observed (its extras), and serves every
later run whose test file has the same inputs. A test file with no record that holds runs
first, before any feature is planned, so that a feature's test files — and so its key and its
verdict — are the same whatever ran before, and the same as with ``--no-cache``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from lockgate.execution.results import MISSING, BatchResult, exercised
from lockgate.keys.extras import Extras, Observed, fact_names
from lockgate.keys.plan import Planner, suite_inputs
from lockgate.keys.reuse import Reuser
from lockgate.layers import optimized, tested
from lockgate.layers.base import Context
from lockgate.remote.client import Remote
from lockgate.remote.entry import Entry
from lockgate.store.store import NewResult, Store

# Fact "owners/<key>": a JSON list of records (newest first) of what a test file did when it
# ran with the inputs of <key>; the first whose observations all still hold is the one.
OWNERS_FACTS = "owners/"
KEPT = 8  # records per key: an edit and its revert are both known (see docs/design.md)


@dataclass(frozen=True)
class Record:
    """What one test file did in one run, of the project's files."""

    direct: tuple[str, ...]  # the modules its own code imported by name
    exercised: tuple[str, ...]  # the files whose function bodies it ran itself
    extras: dict[str, str | None]  # everything the run observed, which must still hold
    partial: bool = False  # cut off (a timeout): replaced by the next complete run

    def to_json(self) -> dict[str, object]:
        return {
            "direct": list(self.direct),
            "exercised": list(self.exercised),
            "extras": self.extras,
            "partial": self.partial,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Record:
        extras = data["extras"]
        assert isinstance(extras, dict)
        return cls(
            tuple(data["direct"]),  # type: ignore[arg-type]
            tuple(data["exercised"]),  # type: ignore[arg-type]
            extras,
            bool(data.get("partial")),
        )


class Owners:
    """The test files of every feature for one run: settled before any feature is planned."""

    def __init__(
        self,
        ctx: Context,
        store: Store | None,
        planner: Planner,
        extras: Extras,
        reuser: Reuser,
        remote: Remote | None = None,
    ) -> None:
        self.ctx = ctx
        self.store = store
        self.remote = remote
        self.planner = planner
        self.extras = extras
        self.reuser = reuser
        self.mode = ctx.project.config.test_owners
        self.static = {fid: list(tests) for fid, tests in ctx.owners.items()}
        self.records: dict[str, Record] = {}  # test file → what it did with its inputs now
        self._stored: dict[
            str, list[dict[str, object]]
        ] = {}  # test file → its key's records, as stored
        self._keys: dict[str, str] = {}  # test file → key of its records
        self.facts: dict[str, str] = {}  # records made (or fetched) by this run, for the store
        self._made: dict[str, Record] = {}  # test file → the record this run made of it

    @property
    def wanted(self) -> bool:
        """Whether this run's layers read test owners at all."""
        layers = self.planner.layers
        return self.mode != "tree" and (tested.NAME in layers or optimized.NAME in layers)

    def _key(self, test: str) -> str:
        found = self._keys.get(test)
        if found is None:
            inputs = suite_inputs(self.ctx, test)
            found = self._keys[test] = self.planner.key("owners", tested.VERSION, inputs)
        return found

    def attribute(self) -> list[str]:
        """Settle the owners from the records that hold; return the test files that have none
        (they must run before the owners are known: see :meth:`record` and :meth:`settle`)."""
        if not self.wanted:
            return []
        tests = self.ctx.project.test_files
        if self.store is not None:
            names = {t: f"{OWNERS_FACTS}{self._key(t)}" for t in tests}
            found = self.store.facts(names.values())
            stored = {t: _records(found[n]) for t, n in names.items() if n in found}
            parsed = {t: [r for raw in rs if (r := _record(raw))] for t, rs in stored.items()}
            self.reuser.load_facts(
                {n for rs in parsed.values() for r in rs for n in fact_names(r.extras)}
            )
            for test, records in parsed.items():
                self._stored[test] = [r.to_json() for r in records]
                held = (r for r in records if not self._moved(r))
                if (record := next(held, None)) is not None:
                    self.records[test] = record
        self._fetch([t for t in tests if t not in self.records])
        self.settle()
        return [t for t in tests if t not in self.records]

    def _fetch(self, tests: list[str]) -> None:
        """The remote's records for ``tests`` (a machine that ran them with the same inputs
        published them), copied into the local store when one holds."""
        if self.remote is None or not tests:
            return
        keys = {self._key(t): t for t in tests}
        for key, found in self.remote.fetch(list(keys)).items():
            test, name = keys[key], f"{OWNERS_FACTS}{key}"
            for entry in found:  # newest first: one per content the test file's runs observed
                records = [r for raw in _records(entry.facts.get(name, "")) if (r := _record(raw))]
                others = {n: d for n, d in entry.facts.items() if n != name}
                self.reuser.add_facts(others)
                record = next((r for r in records if not self._moved(r)), None)
                if record is not None:
                    self.records[test] = record
                    known = [r.to_json() for r in records]
                    known += [r for r in self._stored.get(test, []) if r not in known]
                    self._stored[test] = known[:KEPT]
                    self.facts.update({**others, name: json.dumps(self._stored[test])})
                    break

    def entries(self) -> list[Entry]:
        """Remote entries for the complete records this run made: another machine with the
        same test files and inputs knows their owners without running them."""
        out = []
        for test, record in self._made.items():
            if not record.partial:
                facts = {n: self.extras.fact(n) for n in fact_names(record.extras)}
                out.append(entry_of(self._key(test), json.dumps([record.to_json()]), facts))
        return out

    def _moved(self, record: Record) -> bool:
        return any(self.reuser.extra_moved(n, v) for n, v in record.extras.items())

    def record(self, batch: BatchResult) -> None:
        """Record what each test file of ``batch`` did, unless a complete record of its inputs
        holds already (the run's owners were settled from it)."""
        if not self.wanted:
            return
        for test, outcome in batch.files.items():
            known = self.records.get(test)
            if (known is not None and not known.partial) or outcome.problem == MISSING:
                continue
            seen = Observed([*outcome.executed, *outcome.loaded], outcome.lists, outcome.probes)
            record = Record(
                tuple(_project(outcome.direct)),
                tuple(_project(exercised(batch, test))),
                self.extras.of(seen, self.ctx.graph.closure(test)),
                partial=outcome.transient,
            )
            self.records[test] = self._made[test] = record
            earlier = [r for r in self._stored.get(test, []) if r != record.to_json()]
            self._stored[test] = [record.to_json(), *earlier][:KEPT]
            self.facts[f"{OWNERS_FACTS}{self._key(test)}"] = json.dumps(self._stored[test])

    def settle(self) -> None:
        """Each feature's test files: the tree's, then (``imports``, ``run``) those whose own
        code imported its module, then (``run``) for a feature that still has none, those that
        ran its code; each list in the project's order of test files."""
        owners = self.ctx.owners
        for fid, tests in self.static.items():
            owners[fid] = list(tests)
        if self.mode == "tree":
            return
        by_path = self._by_path()
        order = self.ctx.project.test_files
        for test in order:
            record = self.records.get(test)
            for path in record.direct if record else ():
                for fid in by_path.get(path, ()):
                    if test not in owners[fid]:
                        owners[fid].append(test)
        if self.mode != "run":
            return
        ran: dict[str, list[str]] = {}
        for test in order:
            record = self.records.get(test)
            for path in record.exercised if record else ():
                for fid in by_path.get(path, ()):
                    ran.setdefault(fid, []).append(test)
        for fid, tests in ran.items():
            if not owners[fid]:
                owners[fid] = tests

    def how(self, fid: str, test: str) -> str:
        """How ``test`` came to judge feature ``fid``, in words."""
        if test in self.static.get(fid, ()):
            return tested.found_by(self.ctx, fid, test)
        record = self.records.get(test)
        path = next(f.path for f in self.ctx.features if f.id == fid)
        paths = {path, self.ctx.project.real_path(path)}
        if record is not None and paths & set(record.direct):
            return "its code imports the module at run time"
        return "runs its code, and no test file imports the module"

    def _by_path(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for f in self.ctx.features:
            for path in {f.path, self.ctx.project.real_path(f.path)}:
                out.setdefault(path, []).append(f.id)
        return out


def entry_of(key: str, records: str, facts: dict[str, str]) -> Entry:
    """A remote entry for the records (JSON) of one test file's key, with the probe sets and
    block lists they name (``facts``): stored under that key, which no result has."""
    result = NewResult(key, "owners", "", True, "", 0.0, {}, {}, time.time())
    return Entry(result, {**facts, f"{OWNERS_FACTS}{key}": records})


def named_facts(records: str) -> set[str]:
    """The probe sets and block lists that stored records (JSON) name."""
    return {n for raw in _records(records) if (r := _record(raw)) for n in fact_names(r.extras)}


def _records(data: str) -> list[dict[str, object]]:
    """The records stored under one key (a list; anything else is no record)."""
    try:
        found = json.loads(data)
    except ValueError:
        return []
    return [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []


def _record(raw: dict[str, object]) -> Record | None:
    """A stored record, or None when it is not one (an older shape, say)."""
    try:
        return Record.from_json(raw)
    except (KeyError, TypeError, AssertionError):
        return None


def _project(paths: list[str]) -> list[str]:
    """The project files among ``paths`` (relative; outside files are named absolutely)."""
    return sorted(p for p in paths if not p.startswith("/") and not p.startswith(".."))
