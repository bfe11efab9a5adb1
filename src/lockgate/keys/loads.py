"""Test files found by what they import at run time, beside the static owners.

A test file that puts a folder on ``sys.path`` itself imports a feature's module under a name
no import of it shows. What each test file imported when it last ran is stored as a fact under
the key of its inputs, with what that run observed (its extras), and gives the next run with
the same inputs the owners the static graph missed.
"""

from __future__ import annotations

import json

from lockgate.execution.results import MISSING, BatchResult
from lockgate.keys.extras import Extras, Observed, fact_names
from lockgate.keys.plan import Planner, suite_inputs
from lockgate.keys.reuse import Reuser
from lockgate.layers import tested
from lockgate.layers.base import Context
from lockgate.store.store import Store

# Fact "loads/<key>": the feature modules a test file imported when it last ran with the
# inputs of <key>, and what that run observed (which must be unchanged for it to hold).
LOADS_FACTS = "loads/"


class Loads:
    """What test files imported at run time: read before planning, recorded after running."""

    def __init__(
        self,
        ctx: Context,
        store: Store | None,
        planner: Planner,
        extras: Extras,
        reuser: Reuser,
    ) -> None:
        self.ctx = ctx
        self.store = store
        self.planner = planner
        self.extras = extras
        self.reuser = reuser
        self._keys: dict[str, str] = {}  # test file → key of its run-time imports
        self._applied: dict[str, set[str]] = {}  # test file → features it was given at plan
        self.facts: dict[str, str] = {}  # new facts: what test files imported at run time
        self.reattributed = False  # a test file imported other features than it was given

    def _key(self, test: str) -> str:
        found = self._keys.get(test)
        if found is None:
            inputs = suite_inputs(self.ctx, test)
            found = self._keys[test] = self.planner.key("loads", tested.VERSION, inputs)
        return found

    def _by_path(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for f in self.ctx.features:
            for path in {f.path, self.ctx.project.real_path(f.path)}:
                out.setdefault(path, []).append(f.id)
        return out

    def attribute(self) -> None:
        """Give each feature the test files that imported its module the last time they ran
        with the same inputs (through a ``sys.path`` entry of their own, say), as the static
        owners are given those whose imports name it. The record holds only while everything
        that run observed is unchanged; a test file edited to stop importing the module has
        another key, runs, and is given what it imports then."""
        if self.store is None or tested.NAME not in self.planner.layers:
            return
        tests = self.ctx.project.test_files
        names = {t: f"{LOADS_FACTS}{self._key(t)}" for t in tests}
        found = self.store.facts(names.values())
        records = {t: json.loads(found[n]) for t, n in names.items() if n in found}
        self.reuser.load_facts({n for r in records.values() for n in fact_names(r["extras"])})
        by_path = self._by_path()
        owners = self.ctx.owners
        for test, record in records.items():
            if any(self.reuser.extra_moved(n, v) for n, v in record["extras"].items()):
                continue
            given = {fid for path in record["features"] for fid in by_path.get(path, ())}
            given = {fid for fid in given if test not in owners[fid]}
            self._applied[test] = given
            for fid in sorted(given):
                owners[fid].append(test)

    def record(self, batch: BatchResult) -> None:
        """What each test file that ran imported of the features, for the next run; whether
        that gives a feature a test file it was not given in this run's plan."""
        by_path = self._by_path()
        owners = self.ctx.owners
        for test, outcome in batch.files.items():
            if outcome.transient or outcome.problem == MISSING:
                continue  # a cut-off run did not import everything it would have
            paths = sorted({p for p in outcome.imports if p in by_path})
            static = self.ctx.graph.closure(test)
            extras = self.extras.of(
                Observed([*outcome.executed, *outcome.loaded], outcome.lists, outcome.probes),
                static,
            )
            record = {"features": paths, "extras": extras}
            self.facts[f"{LOADS_FACTS}{self._key(test)}"] = json.dumps(record)
            applied = self._applied.get(test, set())
            given = {
                fid
                for path in paths
                for fid in by_path[path]
                if fid in applied or test not in owners[fid]
            }
            self.reattributed |= given != applied
