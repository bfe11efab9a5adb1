"""Running the misses: every planned layer that was not reused, where its layer runs.

Each layer module says where it reaches its verdict (``RUNS_IN``, see
:mod:`lockgate.layers.base`): in this process, in the import worker, in the pytest child, or
in the performance measurement, which runs last and alone.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from lockgate.execution import balance
from lockgate.execution.results import BatchResult, merged, shown
from lockgate.execution.sandbox import Sandbox
from lockgate.execution.testrun import run_batch
from lockgate.execution.wiring import run_registries
from lockgate.execution.worker import ModuleOutcome, Request, run_modules
from lockgate.keys.executed import Execution
from lockgate.keys.extras import Extras, Observed, extra_file
from lockgate.keys.hashing import is_probe
from lockgate.keys.owners import Owners
from lockgate.keys.plan import SUITE_LAYER, Planned, layer_module
from lockgate.keys.reuse import expires
from lockgate.layers import instantiated, optimized, tested, wired
from lockgate.layers.base import CLI, MEASURE, PYTEST, WORKER, Context
from lockgate.model import Feature, LayerResult
from lockgate.report.progress import Progress

if TYPE_CHECKING:  # distributed is an optional extra: imported only with --executor dask://
    from lockgate.execution.dask_pool import DaskPool

PLACES = (CLI, WORKER, PYTEST, MEASURE)


class Executor:
    """Runs one plan's misses and gives each its fresh result and extras."""

    def __init__(
        self,
        ctx: Context,
        extras: Extras,
        owners: Owners,
        sandbox: Sandbox,
        jobs: int,
        progress: Progress,
        pycache: Path | None,
    ) -> None:
        self.ctx = ctx
        self.extras = extras
        self.owners = owners  # what each test file did, recorded for the next runs
        self.sandbox = sandbox
        self.jobs = jobs
        self.progress = progress
        self.pycache = pycache
        self.features = {f.id: f for f in ctx.features}
        # the work tree changed while the run's processes ran, beyond what keys hash: no fresh
        # result of the run is stored (see _escaped)
        self.dropped = False
        self.first = BatchResult({}, {})  # test files run before planning (run_first)
        self.durations: dict[str, float] = {}  # each test file's last time (balance.py)
        self.pool: DaskPool | None = None  # a Dask cluster for import probes and test chunks

    def include(self, planned: list[Planned]) -> None:
        """Have the sandbox hold every file ``planned`` hashes: the tests see what the keys
        describe (only before the first process of the run starts)."""
        self.sandbox.include(
            p for item in planned for p in item.inputs.files if not is_probe(p) and p[:1] != "/"
        )

    def run_first(self, tests: list[str]) -> BatchResult:
        """Run ``tests`` before planning, measuring every feature's module; their outcomes
        serve the tested and suite layers of this run that read them."""
        modules = list(dict.fromkeys(f.path for f in self.ctx.features))
        self.first = self._batch(tests, modules)
        return self.first

    def execute(self, planned: list[Planned]) -> None:
        """Run every layer that was not reused."""
        misses = [p for p in planned if p.result is None]
        self.include(misses)
        where: dict[str, list[Planned]] = {place: [] for place in PLACES}
        for item in misses:
            where[layer_module(item.layer).RUNS_IN].append(item)
        registries = self.ctx.project.config.wiring.registries
        wiring = [i for i in where[CLI] if i.layer == wired.NAME] if registries else []
        seen = None
        if wiring:  # plugins loaded by name: run the registries first (execution/wiring.py)
            run, seen = run_registries(self.ctx, self.sandbox, self.jobs, self.pycache)
            self.ctx.memo[wired.RUN] = run
        for item in where[CLI]:
            ok, detail = layer_module(item.layer).judge(self.ctx, self.features[item.owner])
            item.result = LayerResult(ok, detail, 0.0)
            if seen is not None and item.layer == wired.NAME:  # it read what the run read
                item.result.keep = not self.extras.hidden(item, seen.files)
                item.extras = self.extras.of(seen, item.inputs.files)
        workers, tests = where[WORKER], where[PYTEST]
        # Imports and tests are independent: the worker zygote runs beside the pytest batch.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(self._run_workers, workers)
            batch = self._run_tests(tests) if tests else BatchResult({}, {})
            outcomes = pending.result()
        self._judge_workers(workers, outcomes)
        if tests:
            self._judge_tests(tests, batch)
            self.owners.record(batch)
        if where[MEASURE]:
            self._measure(where[MEASURE])
        self._escaped(planned, misses)

    def _escaped(self, planned: list[Planned], misses: list[Planned]) -> None:
        """Drop every fresh result when the work tree changed while the run's processes ran
        (:meth:`Sandbox.escaped`) in a file no key hashes: the change cannot be tied to a
        process, and a run that modified the repository (or ran beside someone who did) is no
        basis for reuse. A change to a file some key hashes is the race check's
        (:func:`lockgate.pipeline.record.unchanged`): exactly the results that hash it are not
        stored, as for an edit made while the run ran."""
        hashed = {
            f
            for item in planned
            for f in (*item.inputs.files, *map(extra_file, item.extras))
            if f is not None
        }
        changed = {w.path for w in self.sandbox.escaped()}
        if changed - hashed:
            self.dropped = True
            for item in misses:
                if item.result is not None:
                    item.result.keep = False

    def _run_workers(self, items: list[Planned]) -> dict[str, ModuleOutcome]:
        """Import each module with a miss, and construct the classes of instantiated misses."""
        requests = _requests(self.ctx, self.features, items)
        if not requests:
            return {}
        self.progress("importing and constructing", -len(requests))
        project, done = self.ctx.project, partial(self.progress, "importing and constructing", 1)
        if self.pool is not None:
            return self.pool.modules(requests, lambda _module: done())
        return run_modules(
            project.root,
            project.sys_path(),
            requests,
            project.config.timeout,
            self.jobs,
            on_done=lambda _module: done(),
            pycache=self.pycache,
            files=project.python_files,
            place=self.sandbox.place("imports"),
            warm=True,
        )

    def _judge_workers(self, items: list[Planned], outcomes: dict[str, ModuleOutcome]) -> None:
        """Each worker layer's result: the step of its module's outcome that it reads."""
        now = time.time()
        for item in items:
            feature = self.features[item.owner]
            step = layer_module(item.layer).step(outcomes[feature.module], feature)
            hidden = self.extras.hidden(item, step.loaded)
            native = self.extras.native(item, step.native)
            item.result = self._made(
                item.layer, step.ok, step.detail, step.seconds, now, step.transient, keep=not hidden
            )
            if native:
                item.result.keep, item.result.unkept = False, native
            item.extras = self.extras.of(
                Observed(step.loaded, step.lists, step.probes), item.inputs.files
            )

    def _test_files(self, item: Planned) -> list[str]:
        """The test files an item's verdict reads: a feature's, or the suite file itself."""
        return [item.owner] if item.layer == SUITE_LAYER else self.ctx.owners[item.owner]

    def _run_tests(self, items: list[Planned]) -> BatchResult:
        """One pytest batch over every test file a tested or suite miss reads (but those that
        ran before planning, whose outcomes join it)."""
        files: dict[str, None] = {}
        modules = [self.features[i.owner].path for i in items if i.layer == tested.NAME]
        for item in items:
            files.update(dict.fromkeys(self._test_files(item)))
        wanted = [f for f in files if f not in self.first.files]
        return merged(self.first, self._batch(wanted, modules))

    def _batch(self, files: list[str], modules: list[str]) -> BatchResult:
        """One pytest batch over ``files``, measuring ``modules`` and whatever ran."""
        batch = BatchResult({}, {})
        if files:
            project = self.ctx.project
            self.progress("running tests", -len(files))
            batch = run_batch(
                project.root,
                files,
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
                durations=self.durations,
                remote=None if self.pool is None else self.pool.chunks(modules, self.durations),
            )
            self.durations.update(balance.measured(batch))
        return batch

    def _judge_tests(self, items: list[Planned], batch: BatchResult) -> None:
        """Each tested or suite result, from the outcomes of the test files it reads."""
        project = self.ctx.project
        blocks = project.config.keys == "blocks"
        execution = Execution(batch, self.ctx.facts, project.real_path) if blocks else None
        now = time.time()
        readers = Counter(t for item in items for t in self._test_files(item))
        for item in items:
            files = self._test_files(item)
            transient = any(batch.files[t].transient for t in files)
            seen = [batch.files[t] for t in files]
            flaky = any(o.retry for o in seen)
            if item.layer == SUITE_LAYER:
                ok, detail = tested.suite_verdict(batch.files[item.owner])
            else:
                ok, detail = tested.judge(self.ctx, self.features[item.owner], batch)
            seconds = sum(batch.files[t].seconds / readers[t] for t in files)  # ran once
            observed = Observed(
                [p for o in seen for p in (*o.executed, *o.loaded)],
                [d for o in seen for d in o.lists],
                [s for o in seen for s in o.probes],
            )
            hidden = self.extras.hidden(item, observed.files)
            native = self.extras.native(item, sorted({f for o in seen for f in o.native}))
            item.result = self._made(
                item.layer, ok, detail, seconds, now, transient, flaky, keep=not hidden
            )
            if native:
                item.result.keep, item.result.unkept = False, native
            if execution is not None and item.whole is not None:
                self.extras.bypassed(item, sorted({c for o in seen for c in o.bypassed}))
                item.extras = self.extras.of_blocks(observed, item, files, execution)
            else:
                item.extras = self.extras.of(observed, item.inputs.files)

    def _measure(self, items: list[Planned]) -> None:
        """The optimized layer: one child per feature, one at a time, then benchmark tests."""
        project = self.ctx.project
        requests = []
        for item in items:
            feature = self.features[item.owner]
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
            t
            for item in items
            for t in optimized.benchmark_tests(self.ctx, self.features[item.owner])
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
        self._judge_measures(items, outcomes, batch)

    def _judge_measures(
        self, items: list[Planned], outcomes: dict[str, ModuleOutcome], batch: BatchResult
    ) -> None:
        """Each optimized result, from its feature's measurement and benchmark tests."""
        now = time.time()
        for item in items:
            feature = self.features[item.owner]
            got = outcomes[item.owner]
            ok, detail = optimized.judge(self.ctx, feature, got, batch)
            seconds = got.imported.seconds + sum(c.seconds for c in got.classes.values())
            steps = [got.imported, *got.classes.values()]
            tests = optimized.benchmark_tests(self.ctx, feature)
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
        ``keep`` False: a verdict no key describes (see :meth:`Extras.hidden`), never stored."""
        config = self.ctx.project.config
        # Children name project files by their absolute path (a traceback, an OSError):
        # relative to the root, the detail is the same in every clone.
        detail = shown(detail, self.ctx.project.root)
        load_dependent = transient and not ok  # a pass is a pass, whatever the load
        if load_dependent:
            after = _duration(config.retry_load_dependent_after)
            detail += (
                " (load-dependent: this failure is reused until --retry-failed, or for "
                f"{after} while its inputs are unchanged)"
            )
        return LayerResult(
            ok,
            detail,
            round(seconds, 4),
            expires=expires(config, layer, now, load_dependent),
            keep=keep,
            load_dependent=load_dependent,
            flaky=flaky and ok,
        )


def _requests(ctx: Context, features: Mapping[str, Feature], items: list[Planned]) -> list[Request]:
    """Each module with a worker miss, with the classes of its instantiated misses."""
    classes: dict[str, dict[str, str | None]] = {}
    for item in items:
        feature = features[item.owner]
        wanted = classes.setdefault(feature.module, {})
        if item.layer == instantiated.NAME:
            wanted[feature.name] = instantiated.factory_of(ctx, feature)
    return [Request(m, tuple(c.items())) for m, c in sorted(classes.items())]


def _duration(seconds: float) -> str:
    """``86400`` as ``24h``, ``90`` as ``90s``."""
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"
