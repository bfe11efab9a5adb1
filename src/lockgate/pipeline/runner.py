"""Plan every (feature, layer), reuse what the store holds for its key, run the rest, record."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from lockgate import __version__
from lockgate.execution.reaper import bytecode_cache
from lockgate.execution.sandbox import Sandbox
from lockgate.execution.testrun import MISSING, BatchResult, run_batch
from lockgate.execution.worker import ModuleOutcome, Request, run_modules
from lockgate.keys.executed import Execution
from lockgate.keys.hashing import LISTING, FileHasher, digest, is_probe, key_of
from lockgate.layers import (
    discovered,
    documented,
    imported,
    instantiated,
    optimized,
    tested,
    wired,
)
from lockgate.layers.base import Context, Inputs
from lockgate.model import LAYERS, Feature, LayerResult, SuiteResult
from lockgate.project.facts import FileFacts
from lockgate.remote.client import Remote
from lockgate.remote.entry import Entry
from lockgate.report.progress import Progress
from lockgate.store.store import NewResult, Store, Stored
from lockgate.why.reasons import (
    RETRY,
    Change,
    Reason,
    expired,
    expired_load_dependent,
    extras_moved,
    file_change,
)

MODULES: dict[str, ModuleType] = {
    m.NAME: m for m in (discovered, imported, instantiated, documented, tested, wired, optimized)
}
SUITE_LAYER = "suite"
# An extras entry "\0set:<name>" stands for the probe set stored as fact "probes/<name>".
PROBE_SET = "\0set:"
SET_FACTS = "probes/"
# An extras entry "<file>\0blocks:<name>" holds the block fingerprint of <file> over the
# function bodies listed in fact "blocks/<name>" (see lockgate.project.blocks).
BLOCKS = "\0blocks:"
BLOCK_FACTS = "blocks/"
LOAD_DEPENDENT, FLAKY = "load_dependent", "flaky"  # marks of stored results
# Fact "loads/<key>": the feature modules a test file imported when it last ran with the
# inputs of <key>, and what that run observed (which must be unchanged for it to hold).
LOADS_FACTS = "loads/"


@dataclass(frozen=True)
class Observed:
    """What a child process saw while producing one result (see :mod:`~.child.observe`)."""

    files: list[str]
    lists: list[str]
    probes: list[list[str]]


@dataclass
class Planned:
    """One (feature or suite file, layer) with its inputs and key."""

    owner: str  # feature id, or a test file for the suite layer
    layer: str
    inputs: Inputs
    key: str
    result: LayerResult | None = None
    extras: dict[str, str | None] = field(default_factory=dict)
    reason: Reason | None = None  # why it re-runs, when it is not reused
    # block keys: the files keyed whole (the test files, the feature's module, conftests);
    # None when every input file is keyed whole
    whole: frozenset[str] | None = None


def extra_file(name: str) -> str | None:
    """The file an extras entry stands for, or None for a probe set."""
    if name.startswith(PROBE_SET):
        return None
    return name.partition(BLOCKS)[0]


def fact_names(extras: dict[str, str | None]) -> list[str]:
    """The facts a result with these extras needs to be checked: its probe sets and block
    lists (a copy of the result without them, in another store, could not be reused)."""
    out = []
    for name in extras:
        if name.startswith(PROBE_SET):
            out.append(f"{SET_FACTS}{name[len(PROBE_SET) :]}")
        elif BLOCKS in name:
            out.append(f"{BLOCK_FACTS}{name.partition(BLOCKS)[2]}")
    return out


class Runner:
    """Executes one plan against one store (or none)."""

    def __init__(
        self,
        ctx: Context,
        store: Store | None,
        env_digest: str,
        retry_failed: bool,
        jobs: int,
        progress: Progress,
        layers: tuple[str, ...] = LAYERS,
        remote: Remote | None = None,
    ) -> None:
        self.layers = layers
        self.remote = remote
        self.fetched: dict[str, Entry] = {}  # verified remote entries this run read
        self.served: set[str] = set()  # keys of the fetched entries this run reused
        self.ctx = ctx
        self.pycache = bytecode_cache() if store is not None else None
        self.store = store
        self.env_digest = env_digest
        self.retry_failed = retry_failed
        self.jobs = jobs
        self.progress = progress
        self._digests: dict[frozenset[str], str] = {}
        self._outlined: dict[frozenset[str], str] = {}
        self._states: dict[str, str] = {}  # probe set → its state this run
        self.probe_sets: dict[str, list[str]] = {}  # probe sets new results refer to
        self.block_sets: dict[str, list[str]] = {}  # block name lists new results refer to
        self._sets: dict[str, list[str]] = {}  # probe sets and block lists stored results use
        self._prints: dict[tuple[str, str], str | None] = {}
        self.blocks = ctx.project.config.keys == "blocks"
        self._loads_keys: dict[str, str] = {}  # test file → key of its run-time imports
        self._applied: dict[str, set[str]] = {}  # test file → features it was given at plan
        self.loads: dict[str, str] = {}  # new facts: what test files imported at run time
        self.reattributed = False  # a test file imported other features than it was given
        self.warnings: list[str] = []  # for the user, beside the store's
        project = ctx.project
        # Built only when something must run: the no-change path never pays for it.
        self.sandbox = Sandbox(project.root, [*project.python_files, *project.native_files])

    # -- keys ----------------------------------------------------------------------------

    def files_digest(self, files: frozenset[str]) -> str:
        """One hash over a set of files and their contents (absent files included).

        Memoized per set: the parts of inputs (closures, conftests) recur across keys.
        """
        found = self._digests.get(files)
        if found is None:
            hasher = self.ctx.hasher
            found = key_of(sorted((p, hasher.hash(p)) for p in files))
            self._digests[files] = found
        return found

    @staticmethod
    def versions(layer: str) -> list[Any]:
        """The layer's and lockgate's versions, both in every key of that layer."""
        module = tested if layer == SUITE_LAYER else MODULES[layer]
        return [module.VERSION, __version__]

    def outlines_digest(self, files: frozenset[str]) -> str:
        """Like :meth:`files_digest`, with a Python file's module-level checksum (see
        :mod:`lockgate.project.blocks`) in place of its content hash: the function bodies a run
        executed are checked among its extras instead."""
        found = self._outlined.get(files)
        if found is None:
            hasher, facts = self.ctx.hasher, self.ctx.facts
            found = key_of(sorted((p, self._static(p, hasher, facts)) for p in files))
            self._outlined[files] = found
        return found

    @staticmethod
    def _static(path: str, hasher: FileHasher, facts: dict[str, FileFacts]) -> str | None:
        found = facts.get(path)
        if found is not None and found.outline is not None:
            return f"outline:{found.outline.module}"
        return hasher.hash(path)

    def key(
        self, layer: str, version: int, inputs: Inputs, whole: frozenset[str] | None = None
    ) -> str:
        """The key of one layer result; with ``whole`` (block keys), files other than those
        are keyed on their module-level code, their executed bodies being extras."""
        if whole is None:
            parts = [self.files_digest(part) for part in inputs.parts]
        else:
            parts = [self.outlines_digest(part) for part in inputs.parts]
            parts += ["blocks", self.files_digest(whole)]
        return key_of([layer, version, __version__, self.env_digest, inputs.config, parts])

    def _whole(self, tests: list[str], module: str | None) -> frozenset[str] | None:
        """What block keys keep whole: what the run cannot see per block. The test files and
        conftests (pytest reads them as data to rewrite them, and their hooks serve every test
        file), and the feature's module (its coverage percentage is the verdict)."""
        if not self.blocks:
            return None
        own = [*tests, *self.ctx.project.conftests]
        return frozenset([*own, module] if module is not None else own)

    def plan_feature(self, feature: Feature) -> list[Planned]:
        """Inputs and key for every layer of one feature."""
        planned = []
        for layer in self.layers:
            module = MODULES[layer]
            inputs = module.inputs(self.ctx, feature)
            whole = None
            if layer == tested.NAME:
                whole = self._whole(self.ctx.owners[feature.id], feature.path)
            key = self.key(layer, module.VERSION, inputs, whole)
            planned.append(Planned(feature.id, layer, inputs, key, whole=whole))
        return planned

    def plan(self) -> list[Planned]:
        """Inputs and key for every (feature, layer); with the tested layer, also for every
        test file of no feature, so that the whole suite a deploy gates on is validated."""
        planned = [p for feature in self.ctx.features for p in self.plan_feature(feature)]
        if tested.NAME in self.layers:
            planned += [self.plan_suite(test) for test in tested.unowned(self.ctx)]
        return planned

    def plan_suite(self, test: str) -> Planned:
        """Inputs and key of one test file of no feature."""
        inputs = Inputs(tested.suite_inputs(self.ctx, [test]), tested.suite_config(self.ctx, test))
        whole = self._whole([test], None)
        key = self.key(SUITE_LAYER, tested.VERSION, inputs, whole)
        return Planned(test, SUITE_LAYER, inputs, key, whole=whole)

    # -- test files found by what they import at run time ------------------------------

    def _loads_key(self, test: str) -> str:
        found = self._loads_keys.get(test)
        if found is None:
            inputs = Inputs(
                tested.suite_inputs(self.ctx, [test]), tested.suite_config(self.ctx, test)
            )
            found = self._loads_keys[test] = self.key("loads", tested.VERSION, inputs)
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
        if self.store is None or tested.NAME not in self.layers:
            return
        tests = self.ctx.project.test_files
        names = {t: f"{LOADS_FACTS}{self._loads_key(t)}" for t in tests}
        found = self.store.facts(names.values())
        records = {t: json.loads(found[n]) for t, n in names.items() if n in found}
        self._load_facts({n for r in records.values() for n in fact_names(r["extras"])})
        by_path = self._by_path()
        owners = self.ctx.owners
        for test, record in records.items():
            if any(self.extra_moved(n, v) for n, v in record["extras"].items()):
                continue
            given = {fid for path in record["features"] for fid in by_path.get(path, ())}
            given = {fid for fid in given if test not in owners[fid]}
            self._applied[test] = given
            for fid in sorted(given):
                owners[fid].append(test)

    def _record_loads(self, batch: BatchResult) -> None:
        """What each test file that ran imported of the features, for the next run; whether
        that gives a feature a test file it was not given in this run's plan."""
        by_path = self._by_path()
        owners = self.ctx.owners
        for test, outcome in batch.files.items():
            if outcome.transient or outcome.problem == MISSING:
                continue  # a cut-off run did not import everything it would have
            paths = sorted({p for p in outcome.imports if p in by_path})
            static = self.ctx.graph.closure(test)
            extras = self._extras(
                Observed([*outcome.executed, *outcome.loaded], outcome.lists, outcome.probes),
                static,
            )
            record = {"features": paths, "extras": extras}
            self.loads[f"{LOADS_FACTS}{self._loads_key(test)}"] = json.dumps(record)
            applied = self._applied.get(test, set())
            given = {
                fid
                for path in paths
                for fid in by_path[path]
                if fid in applied or test not in owners[fid]
            }
            self.reattributed |= given != applied

    # -- reuse ---------------------------------------------------------------------------

    def _expires(self, layer: str, created: float, load_dependent: bool = False) -> float | None:
        """When a result goes stale: a performance measure after ``ttl``, a load-dependent
        failure (only failures are) after ``retry_load_dependent_after``; else never."""
        config = self.ctx.project.config
        ends = []
        if layer == optimized.NAME:
            ends.append(created + config.performance.ttl)
        if load_dependent:
            ends.append(created + config.retry_load_dependent_after)
        return min(ends, default=None)

    def _refusal(self, item: Planned, stored: Stored) -> Reason | None:
        """Why the stored result of the item's key cannot be reused; None when it can."""
        if self.retry_failed and not stored.passed:
            return RETRY
        load_dependent = LOAD_DEPENDENT in stored.marks
        expires = self._expires(item.layer, stored.created, load_dependent)
        if expires is not None and expires <= time.time():
            config = self.ctx.project.config
            if load_dependent and (
                item.layer != optimized.NAME
                or stored.created + config.retry_load_dependent_after <= time.time()
            ):
                return expired_load_dependent(stored.created, config.retry_load_dependent_after)
            return expired(stored.created, config.performance.ttl)
        hasher = self.ctx.hasher
        moved = []
        for name, expected in stored.extras.items():
            if not self.extra_moved(name, expected):
                continue
            path, blocks, _ = name.partition(BLOCKS)
            if name.startswith(PROBE_SET):
                members = self._sets.get(f"{SET_FACTS}{name[len(PROBE_SET) :]}")
                if members is None:
                    moved.append(Change("record missing", "the files an import looked for"))
                else:
                    present = [m for m in members if hasher.hash(m) is not None]
                    where = ", ".join(present[:3]) or f"one of {len(members)} candidates"
                    moved.append(Change("file added or removed where an import looks", where))
            elif blocks:
                moved.append(Change("code the run executed changed", path))
            elif path.endswith(LISTING):
                moved.append(Change("folder listing changed", path[: -len(LISTING)] or "."))
            else:
                moved.append(file_change(path, expected, hasher.hash(path)))
        return extras_moved(moved) if moved else None

    def extra_moved(self, name: str, expected: str | None) -> bool:
        """True when an extras entry of a stored result no longer holds: a file's content,
        a probe set's state, or a file's block fingerprint over the bodies its run executed."""
        if name.startswith(PROBE_SET):
            members = self._sets.get(f"{SET_FACTS}{name[len(PROBE_SET) :]}")
            return members is None or self._set_state(name, members) != expected
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

    def _set_state(self, name: str, members: list[str]) -> str:
        found = self._states.get(name)
        if found is None:
            found = self._states[name] = self.ctx.hasher.state(members)
        return found

    def _load_facts(self, wanted: set[str]) -> None:
        """Read the probe sets and block lists named ``wanted`` that are not read yet."""
        assert self.store is not None
        wanted -= self._sets.keys()
        self._sets.update(
            (name, json.loads(data)) for name, data in self.store.facts(wanted).items()
        )

    def reuse(self, planned: list[Planned]) -> dict[str, Stored]:
        """Fill in every result whose key is stored and whose run-time files are unchanged.

        Returns what the store held for the planned keys (reusable or not).
        """
        if self.store is None:
            return {}
        found = self.store.lookup(p.key for p in planned)
        if self.remote is not None:
            # one batched read for everything the local store lacks
            missing = list(dict.fromkeys(p.key for p in planned if p.key not in found))
            self.fetched = self.remote.fetch(missing)
            found.update((k, _stored(e.result)) for k, e in self.fetched.items())
        self._load_facts({name for held in found.values() for name in fact_names(held.extras)})
        for entry in self.fetched.values():
            self._sets.update((name, json.loads(data)) for name, data in entry.facts.items())
        for item in planned:
            stored = found.get(item.key)
            if stored is None:
                continue
            item.reason = self._refusal(item, stored)
            if item.reason is None:
                if item.key in self.fetched:
                    self.served.add(item.key)
                load_dependent = LOAD_DEPENDENT in stored.marks
                item.result = LayerResult(
                    stored.passed,
                    stored.detail,
                    stored.seconds,
                    cached=True,
                    expires=self._expires(item.layer, stored.created, load_dependent),
                    load_dependent=load_dependent,
                    flaky=FLAKY in stored.marks,
                )
        return found

    # -- execution -----------------------------------------------------------------------

    def execute(self, planned: list[Planned]) -> None:
        """Run every layer that was not reused."""
        misses = [p for p in planned if p.result is None]
        by_feature = {f.id: f for f in self.ctx.features}
        # Whatever a key hashes, the sandbox holds: the tests see what the key describes.
        self.sandbox.include(
            p for item in misses for p in item.inputs.files if not is_probe(p) and p[:1] != "/"
        )
        for item in misses:
            if item.layer in ("discovered", "documented", "wired"):
                ok, detail = MODULES[item.layer].judge(self.ctx, by_feature[item.owner])
                item.result = LayerResult(ok, detail, 0.0)
        workers = [p for p in misses if p.layer in ("imported", "instantiated")]
        tests = [p for p in misses if p.layer in ("tested", SUITE_LAYER)]
        # Imports and tests are independent: the worker zygote runs beside the pytest batch.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(self._run_workers, workers, by_feature)
            batch = self._run_tests(tests, by_feature) if tests else BatchResult({}, {})
            outcomes = pending.result()
        now = time.time()
        for item in workers:
            feature = by_feature[item.owner]
            got = outcomes[feature.module]
            step = got.imported if item.layer == "imported" else got.classes[feature.name]
            hidden = self._hidden(item, step.loaded)
            item.result = self._made(
                item.layer, step.ok, step.detail, step.seconds, now, step.transient, keep=not hidden
            )
            item.extras = self._extras(
                Observed(step.loaded, step.lists, step.probes), item.inputs.files
            )
        if tests:
            self._judge_tests(tests, by_feature, batch)
            if self.store is not None:
                self._record_loads(batch)
        measures = [p for p in misses if p.layer == optimized.NAME]
        if measures:
            self._measure(measures, by_feature)

    def _measure(self, items: list[Planned], by_feature: dict[str, Feature]) -> None:
        """The optimized layer: one child per feature, one at a time, then benchmark tests."""
        project = self.ctx.project
        requests = []
        for item in items:
            feature = by_feature[item.owner]
            factory = instantiated.factory_of(self.ctx, feature)
            requests.append(Request(feature.module, ((feature.name, factory),), ident=feature.id))
        self.progress("measuring performance", -len(requests))
        outcomes = run_modules(
            project.root,
            project.sys_path(),
            requests,
            project.config.timeout,
            jobs=1,
            on_done=lambda _id: self.progress("measuring performance", 1),
            pycache=self.pycache,
            files=project.python_files,
            place=self.sandbox.place("imports"),
        )
        files = [
            t for item in items for t in optimized.benchmark_tests(self.ctx, by_feature[item.owner])
        ]
        batch = BatchResult({}, {})
        if files:
            batch = run_batch(
                project.root,
                list(dict.fromkeys(files)),
                project.config.src,
                project.sys_path(),
                project.config.timeout,
                jobs=1,
                pycache=self.pycache,
                python_files=project.python_files,
                sandbox=self.sandbox,
            )
        now = time.time()
        for item in items:
            got = outcomes[item.owner]
            ok, detail = optimized.judge(self.ctx, by_feature[item.owner], got, batch)
            seconds = got.imported.seconds + sum(c.seconds for c in got.classes.values())
            steps = [got.imported, *got.classes.values()]
            tests = optimized.benchmark_tests(self.ctx, by_feature[item.owner])
            transient = any(s.transient for s in steps) or any(
                batch.files[t].transient for t in tests
            )
            item.result = self._made(item.layer, ok, detail, seconds, now, transient)

    def _made(
        self,
        layer: str,
        ok: bool,
        detail: str,
        seconds: float,
        now: float,
        transient: bool,
        flaky: bool = False,
        keep: bool = True,
    ) -> LayerResult:
        """A fresh result; a failure whose cause may be the machine's load is marked so.
        ``keep`` False: a verdict no key describes (see :meth:`_hidden`), never stored."""
        load_dependent = transient and not ok  # a pass is a pass, whatever the load
        if load_dependent:
            after = _duration(self.ctx.project.config.retry_load_dependent_after)
            detail += (
                " (load-dependent: this failure is reused until --retry-failed, or for "
                f"{after} while its inputs are unchanged)"
            )
        return LayerResult(
            ok,
            detail,
            round(seconds, 4),
            expires=self._expires(layer, now, load_dependent),
            keep=keep,
            load_dependent=load_dependent,
            flaky=flaky and ok,
        )

    def _run_workers(
        self, items: list[Planned], by_feature: dict[str, Feature]
    ) -> dict[str, ModuleOutcome]:
        classes: dict[str, dict[str, str | None]] = {}
        for item in items:
            feature = by_feature[item.owner]
            wanted = classes.setdefault(feature.module, {})
            if item.layer == "instantiated":
                wanted[feature.name] = instantiated.factory_of(self.ctx, feature)
        requests = [Request(m, tuple(c.items())) for m, c in sorted(classes.items())]
        if not requests:
            return {}
        self.progress("importing and constructing", -len(requests))
        project = self.ctx.project
        return run_modules(
            project.root,
            project.sys_path(),
            requests,
            project.config.timeout,
            self.jobs,
            on_done=lambda _module: self.progress("importing and constructing", 1),
            pycache=self.pycache,
            files=project.python_files,
            place=self.sandbox.place("imports"),
        )

    def _run_tests(self, items: list[Planned], by_feature: dict[str, Feature]) -> BatchResult:
        owners = self.ctx.owners
        files: dict[str, None] = {}
        modules = [by_feature[i.owner].path for i in items if i.layer == "tested"]
        for item in items:
            tests = owners[item.owner] if item.layer == "tested" else [item.owner]
            files.update(dict.fromkeys(tests))
        batch = BatchResult({}, {})
        if files:
            project = self.ctx.project
            self.progress("running tests", -len(files))
            batch = run_batch(
                project.root,
                list(files),
                project.config.src,
                project.sys_path(),
                project.config.timeout,
                jobs=self.jobs,
                on_file_done=lambda _f: self.progress("running tests", 1),
                pycache=self.pycache,
                modules=modules,
                python_files=project.python_files,
                timeouts={f: tested.timeout_for(project.config, f) for f in files},
                sandbox=self.sandbox,
                retries=project.config.retries,
            )
        return batch

    def _judge_tests(
        self,
        items: list[Planned],
        by_feature: dict[str, Feature],
        batch: BatchResult,
    ) -> None:
        owners = self.ctx.owners
        project = self.ctx.project
        execution = Execution(batch, self.ctx.facts, project.real_path) if self.blocks else None
        now = time.time()
        for item in items:
            files = owners[item.owner] if item.layer == "tested" else [item.owner]
            transient = any(batch.files[t].transient for t in files)
            seen = [batch.files[t] for t in files]
            flaky = any(o.retry for o in seen)
            if item.layer == SUITE_LAYER:
                ok, detail = tested.suite_verdict(batch.files[item.owner])
            else:
                ok, detail = tested.judge(self.ctx, by_feature[item.owner], batch)
            seconds = sum(o.seconds for o in seen)
            observed = Observed(
                [p for o in seen for p in (*o.executed, *o.loaded)],
                [d for o in seen for d in o.lists],
                [s for o in seen for s in o.probes],
            )
            hidden = self._hidden(item, observed.files)
            item.result = self._made(
                item.layer, ok, detail, seconds, now, transient, flaky, keep=not hidden
            )
            if execution is not None and item.whole is not None:
                item.extras = self._block_extras(observed, item, files, execution)
            else:
                item.extras = self._extras(observed, item.inputs.files)

    def _block_extras(
        self, seen: Observed, item: Planned, tests: list[str], execution: Execution
    ) -> dict[str, str | None]:
        """Extras of a block-keyed result: each file keyed on its module-level code and every
        file the run loaded beyond the static inputs, as the block fingerprint over the bodies
        the run executed where the run shows them (see :class:`Execution`), else whole. A keyed
        file of which the run executed no body needs none: the key holds all it ran."""
        assert item.whole is not None
        hasher, facts = self.ctx.hasher, self.ctx.facts
        static = item.inputs.files
        # files keyed on their module-level code; the others are keyed whole already
        outlined = {p for p in static - item.whole if (f := facts.get(p)) is not None and f.outline}
        files = outlined | {p for p in seen.files if p not in static}
        out: dict[str, str | None] = {}
        for path in sorted(files):
            outline = execution.outline(path, tests)
            if outline is None:
                out[path] = hasher.hash(path)
                continue
            names = sorted(execution.executed(path, tests, outline))
            if not names and path in outlined:
                continue  # its module-level checksum, all the run executed of it, is in the key
            name = digest(json.dumps(names).encode())
            self.block_sets.setdefault(name, names)
            out[f"{path}{BLOCKS}{name}"] = outline.fingerprint(names)
        out.update(self._extras(Observed([], seen.lists, seen.probes), static))
        return out

    def _hidden(self, item: Planned, files: list[str]) -> list[str]:
        """Files the run looked for that the work tree has and its sandbox lacks (ignored by
        git, named by no key): the verdict depends on which files git ignores, which no key
        holds, so it is reported and never stored."""
        root = self.ctx.project.root
        made = {w.path for w in self.sandbox.writes}  # what a test wrote, it may read
        found = sorted(
            {
                p
                for p in files
                if p[:1] != "/"
                and p not in made
                and not self.sandbox.holds(p)
                and os.path.lexists(root / p)
            }
        )
        if found:
            self.warnings.append(
                f"{item.owner} ({item.layer}): its run looked for {', '.join(found)}, which git "
                "ignores and so never ships: its sandbox does not hold it; the result is not stored"
            )
        return found

    def _extras(self, seen: Observed, static: frozenset[str]) -> dict[str, str | None]:
        """What a run observed beyond its static inputs: every file it read or imported, the
        listing of every folder it listed, and one entry per set of files whose creation would
        change how a module is found (stored once, by content, among the facts)."""
        hasher = self.ctx.hasher
        out: dict[str, str | None] = {
            p: hasher.hash(p) for p in sorted(set(seen.files)) if p not in static
        }
        out.update((f"{d}{LISTING}", hasher.hash(f"{d}{LISTING}")) for d in sorted(seen.lists))
        for members in seen.probes:
            name = digest(json.dumps(members).encode())
            self.probe_sets.setdefault(name, members)
            out[f"{PROBE_SET}{name}"] = self._set_state(f"{PROBE_SET}{name}", members)
        return out

    def new_facts(self) -> dict[str, str]:
        """The probe sets and block lists this run's results refer to, stored by content."""
        found = {f"{SET_FACTS}{n}": json.dumps(m) for n, m in self.probe_sets.items()}
        found.update((f"{BLOCK_FACTS}{n}", json.dumps(m)) for n, m in self.block_sets.items())
        return {**found, **self.loads}

    @property
    def remote_hits(self) -> int:
        """How many results the remote served."""
        return len(self.served)

    def copies(self) -> tuple[list[NewResult], dict[str, str]]:
        """The remote entries this run reused, with their facts, for the local store.

        Only reused ones: an entry that failed the reuse check was run again, and its fresh
        result, stored under the same key, must not be written over by it."""
        entries = [self.fetched[k] for k in sorted(self.served)]
        facts = {k: v for e in entries for k, v in e.facts.items()}
        return [e.result for e in entries], facts

    def _fact(self, name: str) -> str:
        """A fact a new result refers to, as stored."""
        if name.startswith(SET_FACTS):
            return json.dumps(self.probe_sets[name[len(SET_FACTS) :]])
        return json.dumps(self.block_sets[name[len(BLOCK_FACTS) :]])

    def entries(self, results: list[NewResult]) -> list[Entry]:
        """Remote entries for results this run validated: each with the facts it needs."""
        now = time.time()
        out = []
        for result in results:
            facts = {n: self._fact(n) for n in fact_names(result.extras)}
            out.append(Entry(dataclasses.replace(result, created=now), facts))
        return out

    # -- recording -----------------------------------------------------------------------

    def unchanged(self, item: Planned, fresh: FileHasher) -> bool:
        """True when the item's inputs hash now as they did when it was planned."""
        files = item.inputs.files | {f for p in item.extras if (f := extra_file(p)) is not None}
        return not any(fresh.moved(p, self.ctx.hasher) for p in files)

    def new_results(self, planned: list[Planned]) -> list[NewResult]:
        """Results to store: every miss whose inputs did not move while it ran."""
        fresh = FileHasher(self.ctx.project.root, {})
        fresh.trust(self.ctx.hasher)
        out = []
        for item in planned:
            assert item.result is not None
            if item.result.cached or not item.result.keep or not self.unchanged(item, fresh):
                continue
            hashes = self.ctx.hasher.hashes(item.inputs.files)
            out.append(
                NewResult(
                    key=item.key,
                    layer=item.layer,
                    feature=item.owner,
                    passed=item.result.passed,
                    detail=item.result.detail,
                    seconds=item.result.seconds,
                    extras=item.extras,
                    inputs={
                        "files": hashes,
                        "config": item.inputs.config,
                        "env": self.env_digest,
                        "versions": self.versions(item.layer),
                    },
                    marks=marks_of(item.result),
                )
            )
        return out


def _duration(seconds: float) -> str:
    """``86400`` as ``24h``, ``90`` as ``90s``."""
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def marks_of(result: LayerResult) -> frozenset[str]:
    """The store's marks of a result."""
    return frozenset(
        name for name, on in ((LOAD_DEPENDENT, result.load_dependent), (FLAKY, result.flaky)) if on
    )


def _stored(result: NewResult) -> Stored:
    assert result.created is not None  # entries always carry it
    return Stored(
        result.key,
        result.passed,
        result.detail,
        result.seconds,
        result.extras,
        result.created,
        result.marks,
    )


def suite_results(planned: list[Planned]) -> list[SuiteResult]:
    """The verdicts of test files that belong to no feature."""
    return [
        SuiteResult(
            p.owner,
            r.passed,
            r.detail,
            r.cached,
            r.seconds,
            load_dependent=r.load_dependent,
            flaky=r.flaky,
            expires=r.expires,
        )
        for p in planned
        if p.layer == SUITE_LAYER and (r := p.result) is not None
    ]
