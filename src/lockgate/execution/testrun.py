"""One batched pytest run under coverage for many features' test files, in child processes.

The files are shared out over child processes (:mod:`.chunk`), each running `child.pytest_child`,
whose plugin switches coverage contexts per test file (`collect:<file>`, `run:<file>`) and
streams progress lines. A share whose file hangs or kills the process runs again without the
offender until a run completes; the shares' results are merged into one batch
(:mod:`.results`), and failing files may run again on their own.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockgate.execution import reaper
from lockgate.execution.balance import shares
from lockgate.execution.child.observe import FORKS, SPAWN
from lockgate.execution.chunk import NOT_RUN, Chunk
from lockgate.execution.results import (
    FIXTURE,
    MISSING,
    BatchResult,
    FileCoverage,
    FileOutcome,
    fixture_users,
    lost,
)
from lockgate.execution.sandbox import Sandbox

_POLL = 0.03
FILES_PER_PROCESS = 10


@dataclass
class Report:
    """What one chunk's attempts found, as the merge reads it: the offenders' outcomes, each
    attempt's result with the files to take from it, and where its child ran (``here``: the
    place's root, as the child named the test files there; ``base``: the place's folder,
    removed from details to name real paths). A Dask worker sends these back
    (:mod:`.dask_units`), already named as the client names its files."""

    outcomes: dict[str, FileOutcome]
    results: list[tuple[dict[str, Any], set[str] | None]]
    here: Path
    base: str = ""
    # no process a test started read or wrote the project in the chunk's place (the watch of
    # :mod:`.placewatch` matched the child's own opens): its exec-style spawns ran none of it
    quiet: bool = False
    loud: str | None = None  # else why not, when the place was watched

    def real(self, text: str) -> str:
        """``text`` with the place's paths made the real ones."""
        return text.replace(self.base, "") if self.base else text


# Runs a share of test files elsewhere (a Dask cluster) and reports each chunk; the callback
# is told each finished file.
Remote = Callable[[Sequence[str], Callable[[str], None]], list[Report]]


def _posix(root: Path, path: str) -> str:
    p = Path(path)
    return (p.relative_to(root) if p.is_absolute() else p).as_posix()


def _unseen(bypass: str, quiet: bool) -> bool:
    """True when ``bypass`` is a started process whose code may be the project's: a fork (it
    runs what was loaded, with no open), or any when the place's watch did not show that no
    process but the test process read or wrote the project (``quiet``)."""
    if not bypass.startswith(SPAWN):
        return False
    return not quiet or bypass[len(SPAWN) :].startswith(FORKS)


def _bypasses(reached: list[Any], chunk: Report, root: Path) -> tuple[list[str], list[str]]:
    """The started processes among the bypasses of the owners a test file ``reached`` that
    keep its files whole, and every bypass that does, as the run's warnings name them: a
    process the watch could not clear says why (``chunk.loud``)."""
    found = {c for o in reached for c in o.get("bypassed", ())}
    spawns = sorted(c for c in found if _unseen(c, chunk.quiet))
    kept = {c for c in found if not c.startswith(SPAWN)}
    for spawn in spawns:
        if chunk.loud is not None and not spawn[len(SPAWN) :].startswith(FORKS):
            spawn += f", and a started process may have read or written the project ({chunk.loud})"
        kept.add(spawn)
    return spawns, sorted(_named(chunk.real(c), root) for c in kept)


def _named(bypass: str, root: Path) -> str:
    """``bypass`` with the project files it names made relative to the root (``.``)."""
    return bypass.replace(f"{root}{os.sep}", "").replace(str(root), ".")


def _merge(chunks: list[Report], root: Path) -> BatchResult:
    """The outcomes and coverage of every chunk's attempts, as one batch."""
    files: dict[str, FileOutcome] = {}
    lines: dict[str, tuple[set[int], dict[str, set[int]]]] = {}
    toplevel: dict[str, set[int]] = {}
    shared: set[str] = set()
    foreign: set[str] = set()  # traced files that are not Python (templates)
    for chunk in chunks:
        files.update(chunk.outcomes)
    for chunk, result, taken in [(c, r, t) for c in chunks for r, t in c.results]:
        observed = result.get("observed", {"owners": {}, "reached": {}})
        owners = observed["owners"]
        shared.update(result.get("shared", ()))
        for name, raw in result["files"].items():
            if taken is not None and name not in taken:
                continue
            problem = None if raw["problem"] is None else chunk.real(raw["problem"])
            if problem is None and result["exit"] in NOT_RUN and not raw["passed"]:
                problem = f"pytest could not run the tests (exit code {result['exit']})"
                if result.get("error"):
                    problem += f": {result['error']}"
            reached = [owners[o] for o in observed["reached"].get(name, ())]
            # the test file's own owners, named as the child named them (in its place)
            own = [owners[o] for o in (f"ctx:{name}", f"mod:{chunk.here / name}") if o in owners]
            spawns, bypassed = _bypasses(reached, chunk, root)
            files[name] = FileOutcome(
                name,
                raw["passed"],
                raw["failed"],
                raw["skipped"],
                [chunk.real(f) for f in raw["failures"]],
                problem,
                raw["seconds"],
                loaded=sorted({f for o in reached for f in o["files"]}),
                lists=sorted({d for o in reached for d in o["lists"]}),
                probes=[o["probes"] for o in reached if o["probes"]],
                data=sorted({f for o in reached for f in o.get("data", ())}),
                traced=bool(result.get("traced")),
                spawned=bool(spawns),
                bypassed=bypassed,
                native=sorted({f for o in reached for f in o.get("native", ())}),
                imports=sorted({f for o in own for f in o.get("imported", ())}),
                direct=list(observed.get("direct", {}).get(name, ())),
                fixtures=list(raw.get("fixtures", ())),
            )
        for path, cov in result["coverage"].items():
            if cov.get("python") is False:
                foreign.add(path)
            statements, contexts = lines.setdefault(path, (set(), {}))
            statements.update(cov["statements"])
            toplevel.setdefault(path, set()).update(cov.get("toplevel", ()))
            for label, executed in cov["contexts"].items():
                contexts.setdefault(label, set()).update(executed)
    coverage = {
        path: FileCoverage(
            frozenset(st), {k: frozenset(v) for k, v in ctx.items()}, frozenset(toplevel[path])
        )
        for path, (st, ctx) in lines.items()
    }
    users = fixture_users(files.values())
    for path, cov in coverage.items():
        for label in cov.by_context:
            owner = label.partition(":")[2]
            # A file that is not Python has no block view: run where its effect may serve
            # every test file (outside any, a session fixture), it is every file's input.
            everyone = path in foreign and (label == "" or label.startswith(FIXTURE))
            ran = users.get(label, ()) if label.startswith(FIXTURE) else [owner]
            for name in files if everyone else [n for n in ran if n in files]:
                if path not in files[name].executed:
                    files[name].executed.append(path)
    for outcome in files.values():
        outcome.executed.sort()
    return BatchResult(files, coverage, frozenset(shared))


def run_batch(
    root: Path,
    test_files: Sequence[str],
    source_roots: Sequence[str],
    sys_path: Sequence[str],
    timeout: float,
    jobs: int = 1,
    on_file_done: Callable[[str], None] | None = None,
    pycache: Path | None = None,
    files_per_process: int = FILES_PER_PROCESS,
    modules: Sequence[str] | None = None,
    python_files: Sequence[str] = (),
    timeouts: Mapping[str, float] | None = None,
    sandbox: Sandbox | None = None,
    retries: int = 0,
    remote: Remote | None = None,
    durations: Mapping[str, float] | None = None,
) -> BatchResult:
    """Run all test_files in one batched pytest run (split over `jobs` child processes) under
    coverage of source_roots, isolating files that crash, hang or fail to collect.
    Each child runs in a place of ``sandbox`` (one made for this batch when None), whose
    writes are recorded there.
    ``timeouts`` gives test files a limit of their own instead of ``timeout``. A file that
    fails is run again, alone with the other failing ones, up to ``retries`` times; its last
    run is its outcome and coverage, and ``retry`` says which run that was. With ``remote``
    the chunks run there (a Dask cluster) instead of in local child processes. ``durations``
    (what each file took last time) shares the files out over the local processes.

    ``pycache`` is where bytecode may be cached (outside the project); None writes none.
    A process is started per ``files_per_process`` files, up to ``jobs``. With ``modules``,
    coverage is reported for those and for files that ran, not for every file measured."""
    root = root.resolve()

    def once(files: Sequence[str], report: Callable[[str], None] | None) -> BatchResult:
        return _run_once(
            root,
            files,
            source_roots,
            sys_path,
            timeout,
            jobs,
            report,
            pycache,
            files_per_process,
            modules,
            python_files,
            timeouts,
            sandbox,
            remote,
            durations,
        )

    batch = once(test_files, on_file_done)
    for attempt in range(1, retries + 1):
        failing = [
            name
            for name, o in batch.files.items()
            # a timeout is stored as load-dependent and has its own retry age: running it
            # again at once would multiply the cost of the slowest files
            if (o.problem is not None or o.failed) and o.problem != MISSING and not o.transient
        ]
        if not failing:
            break
        again = once(failing, None)
        _replace(batch, again, attempt, retries)
        batch = BatchResult(batch.files, batch.coverage, batch.shared | again.shared)
    return batch


def _replace(batch: BatchResult, again: BatchResult, attempt: int, retries: int) -> None:
    """Take the outcomes and coverage of the files run ``again`` instead of their earlier
    ones: a verdict comes from one whole run of its files, never from a failed run's lines."""
    labels = {f"{kind}:{name}" for name in again.files for kind in ("collect", "run", "fixture")}
    for name, outcome in again.files.items():
        outcome.retry, outcome.retries = attempt, retries
        batch.files[name] = outcome
    for path, cov in again.coverage.items():
        old = batch.coverage.get(path)
        if old is None:
            batch.coverage[path] = cov
            continue
        contexts = {k: v for k, v in old.by_context.items() if k not in labels}
        for label, lines in cov.by_context.items():
            contexts[label] = contexts.get(label, frozenset()) | lines
        batch.coverage[path] = FileCoverage(
            old.statements | cov.statements, contexts, old.toplevel | cov.toplevel
        )
    for path, cov in batch.coverage.items():
        if path not in again.coverage and labels & cov.by_context.keys():
            contexts = {k: v for k, v in cov.by_context.items() if k not in labels}
            batch.coverage[path] = FileCoverage(cov.statements, contexts, cov.toplevel)


def _run_once(
    root: Path,
    test_files: Sequence[str],
    source_roots: Sequence[str],
    sys_path: Sequence[str],
    timeout: float,
    jobs: int,
    on_file_done: Callable[[str], None] | None,
    pycache: Path | None,
    files_per_process: int,
    modules: Sequence[str] | None,
    python_files: Sequence[str],
    timeouts: Mapping[str, float] | None,
    sandbox: Sandbox | None,
    remote: Remote | None,
    durations: Mapping[str, float] | None,
) -> BatchResult:
    wanted = list(dict.fromkeys(_posix(root, f) for f in test_files))
    present = [f for f in wanted if (root / f).is_file()]
    missing = {f: lost(f, MISSING) for f in wanted if f not in present}
    reported: set[str] = set()

    def report(name: str) -> None:
        if on_file_done is not None and name not in reported:
            reported.add(name)
            on_file_done(name)

    if remote is not None:
        reports = remote(present, report) if present else []
    else:
        reports = run_chunks(
            root,
            present,
            source_roots,
            sys_path,
            timeout,
            jobs,
            report,
            pycache,
            files_per_process,
            modules,
            python_files,
            timeouts,
            sandbox,
            durations,
        )
    batch = _merge(reports, root)
    batch.files.update(missing)
    for name in wanted:
        report(name)
    batch.files = {name: batch.files[name] for name in wanted}
    return batch


def run_chunks(
    root: Path,
    present: Sequence[str],
    source_roots: Sequence[str],
    sys_path: Sequence[str],
    timeout: float,
    jobs: int,
    report: Callable[[str], None],
    pycache: Path | None,
    files_per_process: int,
    modules: Sequence[str] | None,
    python_files: Sequence[str],
    timeouts: Mapping[str, float] | None,
    sandbox: Sandbox | None,
    durations: Mapping[str, float] | None = None,
) -> list[Report]:
    """Run ``present`` (test files that exist) in up to ``jobs`` local child processes, each
    in a place of ``sandbox`` (one made for these when None), shared out by ``durations``
    (:mod:`.balance`); each chunk's report."""
    # Each process pays pytest's start-up (about a second with common plugins): a process
    # per job only pays for itself with enough files to share out.
    jobs = max(1, min(jobs, -(-len(present) // files_per_process)))
    parts = shares(present, jobs, durations or {})
    own = sandbox is None
    if sandbox is None:
        sandbox = Sandbox(root, python_files)
    spec = {
        "root": str(root),
        "sys_path": [str(p) for p in sys_path],
        "source": [str(root / s) for s in source_roots],
        "pycache": None if pycache is None else str(pycache),
        "modules": None if modules is None else list(modules),
        "python_files": list(python_files),
    }
    with tempfile.TemporaryDirectory(prefix="lockgate-testrun-", dir=reaper.run_dir()) as tmp:
        chunks = [
            Chunk(
                part,
                Path(tmp) / f"chunk{i}",
                spec,
                timeout,
                timeouts,
                sandbox.place(f"tests{i}") if part else None,
            )
            for i, part in enumerate(parts)
        ]
        try:
            running = list(chunks)
            while running:
                running = [c for c in running if not c.poll()]
                for chunk in chunks:
                    for name in chunk.done:
                        report(name)
                    chunk.done.clear()
                if running:
                    time.sleep(_POLL)
        finally:
            for chunk in chunks:
                if chunk.proc is not None and chunk.proc.returncode is None:
                    chunk.kill()
                chunk.unwatch("the test process did not finish its run")
                chunk.settle()
            if own:
                sandbox.close()
    return [
        Report(
            c.outcomes,
            c.results,
            root if c.place is None else c.place.root,
            "" if c.place is None else str(c.place.base),
            c.quiet,
            c.loud,
        )
        for c in chunks
    ]
