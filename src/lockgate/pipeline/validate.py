"""The full validation path: discover, plan, reuse by key, run, record, score."""

from __future__ import annotations

import json
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from lockgate.commands.options import Options
from lockgate.errors import LockgateError
from lockgate.execution.dask_pool import open_pool
from lockgate.keys import audit, snapshot
from lockgate.keys.environment import environment
from lockgate.keys.hashing import FileHasher, key_of
from lockgate.keys.plan import Planned
from lockgate.layers import discovered, optimized, tested, wired
from lockgate.layers.base import Context
from lockgate.layers.scoring import score, status
from lockgate.model import LAYERS, AlignResult, Audit, FeatureResult, Write
from lockgate.pipeline import claim
from lockgate.pipeline.parts import Part, claimed, shard_of
from lockgate.pipeline.recheck import rechecked_in_plan
from lockgate.pipeline.record import depended_on, moved_during, suite_results
from lockgate.pipeline.runner import Runner
from lockgate.plainfiles import NotRegular
from lockgate.project.config import Config
from lockgate.project.discover import NOT_REGULAR, UNREADABLE, discover
from lockgate.project.facts import FileFacts, read_facts, stored_name
from lockgate.project.graph import ImportGraph
from lockgate.project.project import Project
from lockgate.remote.client import Remote
from lockgate.remote.queue import open_queue
from lockgate.remote.settings import resolve
from lockgate.report.progress import reporter
from lockgate.store.store import NewResult, Store, Stored, StoreDamaged, store_dir
from lockgate.why import runlog
from lockgate.words import counted


@dataclass
class Prepared:
    """Everything known before any layer runs."""

    ctx: Context
    store: Store | None
    env_items: dict[str, str]
    env_digest: str
    new_facts: dict[str, str]
    parsed_facts: dict[str, str]  # of new_facts, those this run parsed itself (to publish)


def _load_facts(
    project: Project, hasher: FileHasher, store: Store | None, remote: Remote | None
) -> tuple[dict[str, FileFacts], dict[str, str], dict[str, str]]:
    """Every Python file's facts, the facts to store (by content hash and facts version), and
    of those the ones this run parsed itself (to publish). What the local store lacks is read
    from the remote in one batch before anything is parsed."""
    # Facts are filed under content hash and facts version, so a new shape never reads old rows.
    hashes = {
        p: stored_name(h) if h else None for p in project.python_files for h in [hasher.hash(p)]
    }
    wanted = {h for h in hashes.values() if h}
    known = store.facts(wanted) if store else {}
    served = remote.fetch_facts(wanted - known.keys()) if remote and wanted - known.keys() else {}
    facts: dict[str, FileFacts] = {}
    new: dict[str, str] = dict(served)
    parsed: dict[str, str] = {}
    for path, digest in hashes.items():
        if digest is not None and digest in known:
            facts[path] = FileFacts.from_json(json.loads(known[digest]))
            continue
        if digest is not None and digest in served:
            facts[path] = FileFacts.from_json(json.loads(served[digest]))
            continue
        data = hasher.read(path)
        if data is not None:
            facts[path] = read_facts(data)
        else:
            failed = hasher.failures.get(path)
            facts[path] = NOT_REGULAR if isinstance(failed, NotRegular) else UNREADABLE
        if digest is not None:
            new[digest] = json.dumps(facts[path].to_json())
            if data is not None:  # an unreadable file's facts say nothing of its content
                parsed[digest] = new[digest]
    return facts, new, parsed


def open_store(project: Project, options: Options, store: Store | None = None) -> Store | None:
    """The project's store (``store`` if open), None with --no-cache, empty with --clear-cache."""
    if options.no_cache:
        return None
    store = store or Store(store_dir(project.root))
    if options.clear_cache:
        store.clear()
    return store


def prepare(
    project: Project, options: Options, store: Store | None = None, remote: Remote | None = None
) -> Prepared:
    """Open the store, hash and parse the files (what neither the store nor ``remote`` holds),
    discover features, find test owners."""
    store = open_store(project, options, store)
    hasher = FileHasher(project.root, store.stat_rows() if store else {})
    facts, new_facts, parsed = _load_facts(project, hasher, store, remote)
    graph = ImportGraph(project.modules, project.module_of, facts)
    features = discover(project, facts, graph)
    ctx = Context(project, hasher, graph, facts, features)
    ctx.owners = tested.owners(ctx)
    env_items = environment(project.root, project.config.env)
    return Prepared(ctx, store, env_items, key_of(env_items), new_facts, parsed)


def _feature_results(ctx: Context, planned: list[Planned]) -> list[FeatureResult]:
    """A row for every feature ``planned`` covers (a shard's features only)."""
    by_owner: dict[str, dict[str, Planned]] = {}
    for item in planned:
        by_owner.setdefault(item.owner, {})[item.layer] = item
    weights = ctx.project.config.weights
    # Performance joins the integration score only when it has a weight of its own.
    scored = (*LAYERS, optimized.NAME) if weights.optimized is not None else LAYERS
    out = []
    for feature in ctx.features:
        mine = by_owner.get(feature.id)
        if mine is None:
            continue
        done = {
            name: item.result
            for name, item in mine.items()
            if name in scored and item.result is not None
        }
        value = score(done, weights)
        measured = mine.get(optimized.NAME)
        perf = (
            optimized.performance(ctx, measured.result)
            if measured is not None and measured.result is not None
            else None
        )
        out.append(FeatureResult(feature, done, value, status(value), perf))
    return out


def layers_to_run(config: Config) -> tuple[str, ...]:
    """The six integration layers, plus performance when the configuration asks for it."""
    wanted = "performance" in config.model_fields_set or config.weights.optimized is not None
    return (*LAYERS, optimized.NAME) if wanted else LAYERS


@dataclass
class _Done:
    """A run's plan once every item has a result, and what the stages left to record."""

    runner: Runner
    planned: list[Planned]
    stored: dict[str, Stored]  # what the store held for the planned keys
    part: Part | None  # a shard's features and suite files; None for a whole run
    scope: str  # the layers, as the store's run history and reasons name them
    audit: Audit | None = None  # what --audit ran again and found
    published: bool = False  # --shard auto: each group's results went out as it finished
    run_id: str | None = None  # --shard auto: the run whose queue this job took from

    @property
    def hits(self) -> int:
        """How many results were reused."""
        return sum(1 for p in self.planned if p.result is not None and p.result.cached)

    @property
    def misses(self) -> int:
        """How many results were run."""
        return len(self.planned) - self.hits


def align_fully(
    root: Path,
    options: Options,
    layers: tuple[str, ...] | None,
    started: float,
    store: Store | None = None,
    opened: Remote | None = None,
) -> AlignResult:
    """Validate every feature of the project at ``root``, reusing every stored result whose
    key matches, and record a snapshot for the no-change path when everything was stored.

    ``store`` is the store the no-change path already opened, if it did; it is closed here.
    ``opened`` is a remote the caller opened and closes; else one is opened here if set."""
    try:
        project = Project.open(root)
    except BaseException:
        if store is not None:
            store.close()
        raise
    remote = opened
    queue = None
    try:
        store = open_store(project, options, store)
        if store is not None and remote is None:
            remote = _remote(project, options)
        elif store is None:
            remote = None
        prep = prepare(project, options, store, remote)
        if options.shard is not None and options.shard.auto:
            queue = _queue(options, remote)
        done = _run(prep, options, layers, remote, queue)
        runlog.attach(done.planned)
        elapsed = time.perf_counter() - started
        result = _result(prep, options, done, remote, started)
        if store is not None:
            results = _record(prep, options, done, result, remote, elapsed)
            _save_snapshot(prep, store, done, result, layers, len(results) == done.misses, remote)
        return result
    finally:
        if store is not None:
            store.close()
        if remote is not None and remote is not opened:
            remote.close()
        if queue is not None:
            queue.queue.close()


def _queue(options: Options, remote: Remote | None) -> claim.Job:
    """``--shard auto``'s queue, its run id and lease checked before anything runs."""
    run = claim.run_id(options.run_id)
    queue = open_queue(remote.settings if remote else None, claim.lease())
    return claim.Job(queue, run, claim.smallest_batch())


def _run(
    prep: Prepared,
    options: Options,
    layers: tuple[str, ...] | None,
    remote: Remote | None,
    queue: claim.Job | None = None,
) -> _Done:
    """Plan, reuse, narrow to a shard, explain the misses, and run them."""
    ctx, store = prep.ctx, prep.store
    config = ctx.project.config
    pool = open_pool(
        options.executor or config.executor,
        options.executor_insecure or config.executor_insecure,
        prep.env_items,
        bytecode=store is not None,
        fallback=options.executor_fallback or config.executor_fallback,
    )
    with reporter(options.quiet or options.json) as report, pool or nullcontext():
        runner = Runner(
            ctx,
            store,
            prep.env_digest,
            options.retry_failed,
            options.jobs,
            report.advance,
            layers or layers_to_run(ctx.project.config),
            remote,
            pool,
        )
        unknown = runner.attribute()
        if unknown:
            report.say(
                f"running {counted(len(unknown), 'test file')} with new inputs first, "
                "to learn which features they test"
            )
        runner.settle(unknown)
        planned = runner.plan()
        stored = runner.reuse(planned)
        part = None
        scope = snapshot.scope(layers)
        if queue is not None:
            runlog.explain_misses(runner, planned, prep.env_items, options.clear_cache, scope)
            # no audit here: the final align or deploy audits what the jobs stored
            part, planned = claimed(ctx, store, planned, runner, remote, queue)
            runner.narrow(planned)
            return _Done(runner, planned, stored, part, scope, None, True, queue.run)
        if options.shard is not None:
            part = shard_of(ctx, store, planned, options.shard)
            planned = [p for p in planned if part.holds(p)]
            # what the remote served beyond this shard is not this shard's reuse
            runner.narrow(planned)
        if options.recheck_failures:
            new_code = options.since is not None or config.gate == "new-code"
            runner.recheck(planned, rechecked_in_plan(ctx, planned, new_code))
        checking = _start_audit(ctx.project.config, options, store, runner, planned)
        reused = sum(1 for p in planned if p.result is not None)
        report.say(
            f"planned {counted(len(planned), 'result')}: {reused} reused, "
            f"{len(planned) - reused} to run"
        )
        runlog.explain_misses(runner, planned, prep.env_items, options.clear_cache, scope)
        runner.execute(planned)
        if checking is not None:
            audit.settle(checking, planned, stored, ctx.hasher)
    return _Done(runner, planned, stored, part, scope, checking)


def _start_audit(
    config: Config, options: Options, store: Store | None, runner: Runner, planned: list[Planned]
) -> Audit | None:
    """Audit mode: run the seeded share of the served results again (keys/audit.py); the
    seed is the run's number in the store unless ``--audit-seed`` gives one."""
    fraction = options.audit if options.audit is not None else config.audit
    if not fraction:
        return None
    seed = options.audit_seed
    if seed is None:
        seed = store.next_run() if store is not None else 0
    found = runner.audit(planned, fraction, seed)
    found.blocking = config.gates.audit == "error"
    return found


def _result(
    prep: Prepared, options: Options, done: _Done, remote: Remote | None, started: float
) -> AlignResult:
    """The run's result: every feature's row, the suite, the warnings and the counts."""
    ctx, store, runner, planned = prep.ctx, prep.store, done.runner, done.planned
    project = ctx.project
    part = done.part
    rows = discovered.with_broken(ctx, _feature_results(ctx, planned), runner.layers)
    return AlignResult(
        root=str(project.root),
        threshold=project.config.threshold,
        fail_under=project.config.fail_under,
        features=[
            r for r in rows if part is None or not r.feature.broken or r.feature.id in part.features
        ],
        orphans=wired.orphans(ctx),
        hits=done.hits,
        misses=done.misses,
        seconds=round(time.perf_counter() - started, 3),
        suite=suite_results(planned),
        warnings=[
            *(store.warnings if store else []),
            *(remote.warnings if remote else []),
            *runner.warnings,
            *map(_wrote, runner.sandbox.writes),
            *tested.import_hints(ctx),
            *(map(audit.warning, done.audit.mismatches) if done.audit else []),
        ],
        inputs=depended_on(ctx, planned, done.stored),
        loaded=sorted(depended_on(ctx, [p for p in planned if p.layer in LOADS], done.stored)),
        remote_hits=runner.remote_hits,
        remote_errors=remote.errors if remote is not None else 0,
        shard=(options.shard.index, options.shard.count) if options.shard else None,
        run_id=done.run_id,
        writes=list(runner.sandbox.writes),
        moved=moved_during(ctx, planned) if done.misses else [],
        audit=done.audit,
    )


def _record(
    prep: Prepared,
    options: Options,
    done: _Done,
    result: AlignResult,
    remote: Remote | None,
    elapsed: float,
) -> list[NewResult]:
    """Write the fresh results, the reused remote copies and the facts into the store, and
    publish what this run validated; returns the results stored. Written once the result is
    made, so that the run history records its mean score."""
    store, runner, planned = prep.store, done.runner, done.planned
    assert store is not None
    results = runner.new_results(planned)
    saved = sum(p.result.seconds for p in planned if p.result and p.result.cached)
    copies, copied_facts = runner.copies()
    store.write(
        results + copies,
        prep.ctx.hasher.updated,
        {**prep.new_facts, **copied_facts, **runner.new_facts()},
        (
            options.command,
            done.hits,
            done.misses,
            elapsed,
            saved,
            done.scope,
            runner.remote_hits,
            result.mean_score,
            done.audit.sampled if done.audit else 0,
            len(done.audit.mismatches) if done.audit else 0,
        ),
        env=(prep.env_digest, prep.env_items),
        reasons=runlog.record(
            planned,
            results,
            runner.layers,
            store.writable,
            runner.dropped,
        ),
        served=runner.older(planned),
    )
    if done.audit is not None:
        # a wrong stored result whose fresh one could not be stored must not be served again
        kept = {r.key for r in results}
        store.delete(m.key for m in done.audit.mismatches if m.key not in kept)
    if remote is not None and not done.published:
        # only what this run validated itself: a reused result is already somewhere
        remote.publish(runner.entries(results))
    if remote is not None:
        remote.publish_facts(prep.parsed_facts)
    # a failed write or publish adds a warning
    late = [*store.warnings, *(remote.warnings if remote else [])]
    result.warnings += [w for w in late if w not in result.warnings]
    return results


def _save_snapshot(
    prep: Prepared,
    store: Store,
    done: _Done,
    result: AlignResult,
    layers: tuple[str, ...] | None,
    complete: bool,
    remote: Remote | None,
) -> None:
    """Every result is in the store (``complete``): the next run may serve this one whole if
    nothing moved, and so may a clone of this tree that reads ``remote`` (its record, see
    lockgate.remote.tree). A shard's result is part of one: never served as the whole."""
    if not complete or store.warnings or done.part is not None:
        return  # (a store's warnings: the project's hints are kept in the snapshot)
    root = prep.ctx.project.root
    every = sum(p.result.seconds for p in done.planned if p.result is not None)
    snapshot.save(root, store, layers, prep.ctx.hasher, result, every)
    if remote is not None and (tree := snapshot.key(root, layers, local=False)):
        remote.publish_tree(tree, snapshot.record(prep.ctx.hasher, result, every))


def _remote(project: Project, options: Options) -> Remote | None:
    """The remote this run reads and writes, if one is set (see lockgate.remote.settings)."""
    wanted = project.config.remote
    settings = resolve(options.remote, options.no_remote, wanted)
    return Remote(settings) if settings is not None else None


def _wrote(write: Write) -> str:
    """The warning line for one write into the tree (made in the sandbox, undone there), or
    into the work tree itself while the run's processes ran."""
    if write.repository:
        who = (
            ", ".join(write.by)
            if len(write.by) <= 3
            else f"one of {len(write.by)} test files and modules"
        )
        return (
            f"{write.path} {write.change} in the repository itself while this run's tests and "
            f"imports ran ({who}, or another program): a write by the real path leaves "
            "lockgate's sandbox; the results it could have changed are not stored"
        )
    return (
        f"{', '.join(write.by)} wrote outside its temporary folders: {write.path} "
        f"{write.change} (in lockgate's sandbox; the repository is unchanged)"
    )


# The layers whose verdict is about the shipped code running: importing the feature's module,
# finding it, reaching it from an entry point. What only the others read (guides, factories,
# tests and what they load) is validation's own and need not ship.
LOADS = frozenset({discovered.NAME, "imported", wired.NAME})


def current_keys(root: Path) -> set[str]:
    """Every key the project at ``root`` would look up now (all layers, suite included)."""
    return current_plan(root)[0]


def current_plan(root: Path, remote: Remote | None = None) -> tuple[set[str], dict[str, str]]:
    """Every key the project at ``root`` would look up now (all layers, suite included), and
    the records of test files ``remote`` gave for them (with the facts they name).

    Computed without the store's parse results and stat cache, so it works on a damaged one;
    each feature's test files include those the store's records of test files give (when the
    store opens as it is) or the remote's, as a run's would.
    """
    project = Project.open(root)
    prep = prepare(project, Options(no_cache=True, quiet=True))
    layers = (*LAYERS, optimized.NAME)
    records = _records_store(project)
    try:
        runner = Runner(
            prep.ctx, records, prep.env_digest, False, 1, lambda _d, _a: None, layers, remote
        )
        runner.attribute()
        return {item.key for item in runner.plan()}, runner.owners.facts
    finally:
        if records is not None:
            records.close()


def _records_store(project: Project) -> Store | None:
    """The project's store, for the records of its test files, if it opens as it is."""
    folder = store_dir(project.root)
    if not (folder / "store.sqlite").is_file():
        return None
    try:
        return Store(folder, set_aside=False)
    except (StoreDamaged, LockgateError, OSError):
        return None
