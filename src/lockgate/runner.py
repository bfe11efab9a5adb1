"""Plan every (feature, layer), reuse what the store holds for its key, run the rest, record."""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from lockgate import __version__
from lockgate.fingerprint import LISTING, FileHasher, digest, key_of
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
from lockgate.progress import Progress
from lockgate.store import NewResult, Store, Stored
from lockgate.testrun import MISSING, BatchResult, run_batch
from lockgate.worker import ModuleOutcome, Request, run_modules

MODULES: dict[str, ModuleType] = {
    m.NAME: m for m in (discovered, imported, instantiated, documented, tested, wired, optimized)
}
SUITE_LAYER = "suite"
# An extras entry "\0set:<name>" stands for the probe set stored as fact "probes/<name>".
PROBE_SET = "\0set:"
SET_FACTS = "probes/"
LOAD_DEPENDENT, FLAKY = "load_dependent", "flaky"  # marks of stored results
# Fact "loads/<key>": the feature modules a test file imported when it last ran with the
# inputs of <key>, and what that run observed (which must be unchanged for it to hold).
LOADS_FACTS = "loads/"


@dataclass(frozen=True)
class Observed:
    """What a child process saw while producing one result (see :mod:`lockgate._observe`)."""

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


def bytecode_cache() -> Path:
    """Where workers and test processes cache bytecode: never in the project.

    One cache per user, like pip's or pre-commit's: ``sys.pycache_prefix`` makes Python ignore
    the ``__pycache__`` folders of the standard library and site-packages too, so a cache per
    project made every new project recompile pytest, coverage and the standard library
    (about 2 s of CPU). Bytecode is keyed by source path and mtime, so sharing it is safe.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lockgate" / "pycache"


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
    ) -> None:
        self.layers = layers
        self.ctx = ctx
        self.pycache = bytecode_cache() if store is not None else None
        self.store = store
        self.env_digest = env_digest
        self.retry_failed = retry_failed
        self.jobs = jobs
        self.progress = progress
        self._digests: dict[frozenset[str], str] = {}
        self._states: dict[str, str] = {}  # probe set → its state this run
        self.probe_sets: dict[str, list[str]] = {}  # probe sets new results refer to
        self._loads_keys: dict[str, str] = {}  # test file → key of its run-time imports
        self._applied: dict[str, set[str]] = {}  # test file → features it was given at plan
        self.loads: dict[str, str] = {}  # new facts: what test files imported at run time
        self.reattributed = False  # a test file imported other features than it was given

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

    def key(self, layer: str, version: int, inputs: Inputs) -> str:
        """The key of one layer result."""
        return key_of(
            [
                layer,
                version,
                __version__,
                self.env_digest,
                inputs.config,
                [self.files_digest(part) for part in inputs.parts],
            ]
        )

    def plan_feature(self, feature: Feature) -> list[Planned]:
        """Inputs and key for every layer of one feature."""
        planned = []
        for layer in self.layers:
            module = MODULES[layer]
            inputs = module.inputs(self.ctx, feature)
            planned.append(
                Planned(feature.id, layer, inputs, self.key(layer, module.VERSION, inputs))
            )
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
        return Planned(test, SUITE_LAYER, inputs, self.key(SUITE_LAYER, tested.VERSION, inputs))

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
        wanted = {
            f"{SET_FACTS}{path[len(PROBE_SET) :]}"
            for record in records.values()
            for path in record["extras"]
            if path.startswith(PROBE_SET)
        }
        sets = {
            name[len(SET_FACTS) :]: json.loads(data)
            for name, data in self.store.facts(wanted).items()
        }
        by_path = self._by_path()
        owners = self.ctx.owners
        for test, record in records.items():
            if not self._holds(record["extras"], sets):
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

    def _reusable(self, item: Planned, stored: Stored, sets: dict[str, list[str]]) -> bool:
        if self.retry_failed and not stored.passed:
            return False
        expires = self._expires(item.layer, stored.created, LOAD_DEPENDENT in stored.marks)
        if expires is not None and expires <= time.time():
            return False
        return self._holds(stored.extras, sets)

    def _holds(self, extras: dict[str, str | None], sets: dict[str, list[str]]) -> bool:
        """Every file, listing and probe set a run observed is as it was then."""
        hasher = self.ctx.hasher
        for path, expected in extras.items():
            if path.startswith(PROBE_SET):
                members = sets.get(path[len(PROBE_SET) :])
                if members is None or self._set_state(path, members) != expected:
                    return False
            elif hasher.hash(path) != expected:
                return False
        return True

    def _set_state(self, name: str, members: list[str]) -> str:
        found = self._states.get(name)
        if found is None:
            found = self._states[name] = self.ctx.hasher.state(members)
        return found

    def reuse(self, planned: list[Planned]) -> dict[str, Stored]:
        """Fill in every result whose key is stored and whose run-time files are unchanged.

        Returns what the store held for the planned keys (reusable or not).
        """
        if self.store is None:
            return {}
        found = self.store.lookup(p.key for p in planned)
        wanted = {
            f"{SET_FACTS}{path[len(PROBE_SET) :]}"
            for stored in found.values()
            for path in stored.extras
            if path.startswith(PROBE_SET)
        }
        sets = {
            name[len(SET_FACTS) :]: json.loads(data)
            for name, data in self.store.facts(wanted).items()
        }
        for item in planned:
            stored = found.get(item.key)
            if stored is not None and self._reusable(item, stored, sets):
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
            item.result = self._made(
                item.layer, step.ok, step.detail, step.seconds, now, step.transient
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
    ) -> LayerResult:
        """A fresh result; a failure whose cause may be the machine's load is marked so."""
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
            item.result = self._made(item.layer, ok, detail, seconds, now, transient, flaky)
            item.extras = self._extras(observed, item.inputs.files)

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
        """The probe sets this run's results refer to, to be stored by content."""
        sets = {f"{SET_FACTS}{n}": json.dumps(m) for n, m in self.probe_sets.items()}
        return {**sets, **self.loads}

    # -- recording -----------------------------------------------------------------------

    def unchanged(self, item: Planned, fresh: FileHasher) -> bool:
        """True when the item's inputs hash now as they did when it was planned."""
        files = item.inputs.files | {p for p in item.extras if not p.startswith(PROBE_SET)}
        return not any(fresh.moved(p, self.ctx.hasher) for p in files)

    def new_results(self, planned: list[Planned]) -> list[NewResult]:
        """Results to store: every miss whose inputs did not move while it ran."""
        fresh = FileHasher(self.ctx.project.root, {})
        fresh.trust(self.ctx.hasher)
        out = []
        for item in planned:
            assert item.result is not None
            if item.result.cached or not self.unchanged(item, fresh):
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
                    inputs={"files": hashes, "config": item.inputs.config, "env": self.env_digest},
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
