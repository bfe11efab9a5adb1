"""The full validation path: discover, plan, reuse by key, run, record, score."""

from __future__ import annotations

import json
import posixpath
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lockgate import snapshot
from lockgate.config import Config
from lockgate.discover import UNREADABLE, discover
from lockgate.facts import VERSION as FACTS_VERSION
from lockgate.facts import FileFacts, read_facts
from lockgate.fingerprint import FileHasher, environment, key_of
from lockgate.graph import ImportGraph
from lockgate.layers import discovered, optimized, tested, wired
from lockgate.layers.base import Context
from lockgate.model import LAYERS, AlignResult, FeatureResult
from lockgate.options import Options
from lockgate.progress import Progress, progress_bar
from lockgate.project import Project
from lockgate.runner import Planned, Runner, suite_results
from lockgate.scoring import score, status
from lockgate.store import Store, Stored, store_dir


@dataclass
class Prepared:
    """Everything known before any layer runs."""

    ctx: Context
    store: Store | None
    env_items: dict[str, str]
    env_digest: str
    new_facts: dict[str, str]


def _load_facts(
    project: Project, hasher: FileHasher, store: Store | None
) -> tuple[dict[str, FileFacts], dict[str, str]]:
    # Facts are filed under content hash and facts version, so a new shape never reads old rows.
    hashes = {
        p: f"{h}/{FACTS_VERSION}" if h else None
        for p in project.python_files
        for h in [hasher.hash(p)]
    }
    known = store.facts({h for h in hashes.values() if h}) if store else {}
    facts: dict[str, FileFacts] = {}
    new: dict[str, str] = {}
    for path, digest in hashes.items():
        if digest is not None and digest in known:
            facts[path] = FileFacts.from_json(json.loads(known[digest]))
            continue
        facts[path] = read_facts(data) if (data := hasher.read(path)) is not None else UNREADABLE
        if digest is not None:
            new[digest] = json.dumps(facts[path].to_json())
    return facts, new


def open_store(project: Project, options: Options, store: Store | None = None) -> Store | None:
    """The project's store (``store`` when already open), or None with ``--no-cache``;
    emptied with ``--clear-cache``."""
    if options.no_cache:
        return None
    store = store or Store(store_dir(project.root))
    if options.clear_cache:
        store.clear()
    return store


def prepare(project: Project, options: Options, store: Store | None = None) -> Prepared:
    """Open the store, hash and parse the files, discover features, find test owners."""
    store = open_store(project, options, store)
    hasher = FileHasher(project.root, store.stat_rows() if store else {})
    facts, new_facts = _load_facts(project, hasher, store)
    graph = ImportGraph(project.modules, project.module_of, facts)
    features = discover(project, facts, graph)
    ctx = Context(project, hasher, graph, facts, features)
    ctx.owners = tested.owners(ctx)
    env_items = environment(project.root, project.config.env)
    return Prepared(ctx, store, env_items, key_of(env_items), new_facts)


def _feature_results(ctx: Context, planned: list[Planned]) -> list[FeatureResult]:
    by_owner: dict[str, dict[str, Planned]] = {}
    for item in planned:
        by_owner.setdefault(item.owner, {})[item.layer] = item
    weights = ctx.project.config.weights
    # Performance joins the integration score only when it has a weight of its own.
    scored = (*LAYERS, optimized.NAME) if weights.optimized is not None else LAYERS
    out = []
    for feature in ctx.features:
        mine = by_owner[feature.id]
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


@contextmanager
def _noop_progress() -> Iterator[Progress]:
    yield lambda _description, _amount: None


def align_fully(
    root: Path,
    options: Options,
    layers: tuple[str, ...] | None,
    started: float,
    store: Store | None = None,
) -> AlignResult:
    """Validate every feature of the project at ``root``, reusing every stored result whose
    key matches, and record a snapshot for the no-change path when everything was stored.

    ``store`` is the store the no-change path already opened, if it did; it is closed here."""
    try:
        project = Project.open(root)
    except BaseException:
        if store is not None:
            store.close()
        raise
    prep = prepare(project, options, store)
    ctx, store = prep.ctx, prep.store
    try:
        bar = _noop_progress() if options.quiet or options.json else progress_bar()
        with bar as progress:
            runner = Runner(
                ctx,
                store,
                prep.env_digest,
                options.retry_failed,
                options.jobs,
                progress,
                layers or layers_to_run(project.config),
            )
            planned = runner.plan()
            stored = runner.reuse(planned)
            runner.execute(planned)
        hits = sum(1 for p in planned if p.result is not None and p.result.cached)
        misses = len(planned) - hits
        elapsed = time.perf_counter() - started
        result = AlignResult(
            root=str(project.root),
            threshold=project.config.threshold,
            fail_under=project.config.fail_under,
            features=discovered.with_broken(ctx, _feature_results(ctx, planned), runner.layers),
            orphans=wired.orphans(ctx),
            hits=hits,
            misses=misses,
            seconds=round(time.perf_counter() - started, 3),
            suite=suite_results(planned),
            warnings=list(store.warnings) if store else [],
            inputs=_depended_on(ctx, planned, stored),
        )
        if store is not None:
            results = runner.new_results(planned)
            saved = sum(p.result.seconds for p in planned if p.result and p.result.cached)
            store.write(
                results,
                ctx.hasher.updated,
                {**prep.new_facts, **runner.new_facts()},
                (options.command, hits, misses, elapsed, saved, result.mean_score),
                env=(prep.env_digest, prep.env_items),
            )
            result.warnings = list(store.warnings)  # a failed write adds one
        # Every result is in the store: the next run may serve this one whole if nothing moved.
        if store is not None and len(results) == misses and not store.warnings:
            every = sum(p.result.seconds for p in planned if p.result is not None)
            snapshot.save(project.root, store, layers, ctx.hasher, result, every)
        return result
    finally:
        if store is not None:
            store.close()


def _depended_on(
    ctx: Context, planned: list[Planned], stored: dict[str, Stored]
) -> dict[str, str | None]:
    """Every project file a result of this run depends on → its hash (None when absent).

    Static inputs of every planned item plus the files it loaded at run time: fresh extras for
    results that ran, the stored ones (checked unchanged on reuse) for results that were reused.
    Pseudo-inputs (names with a NUL), absolute paths and paths climbing out of the root are not
    project files and are left out.
    """
    found: dict[str, str | None] = {}
    for item in planned:
        extras = item.extras
        if item.result is not None and item.result.cached and item.key in stored:
            extras = stored[item.key].extras
        for path in item.inputs.files:
            if _project_file(path) and path not in found:
                found[path] = ctx.hasher.hash(path)
        for path, value in extras.items():
            if _project_file(path):
                found.setdefault(path, value)
    return dict(sorted(found.items()))


def _project_file(path: str) -> bool:
    if "\0" in path or posixpath.isabs(path):
        return False
    normal = posixpath.normpath(path)
    return normal != ".." and not normal.startswith("../")


def current_keys(root: Path) -> set[str]:
    """Every key the project at ``root`` would look up now (all layers, suite included).

    Computed without the store, so it works on a damaged one.
    """
    project = Project.open(root)
    prep = prepare(project, Options(no_cache=True, quiet=True))
    layers = (*LAYERS, optimized.NAME)
    runner = Runner(prep.ctx, None, prep.env_digest, False, 1, lambda _d, _a: None, layers)
    return {item.key for item in runner.plan()}
