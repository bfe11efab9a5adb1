"""One batched pytest run under coverage for many features' test files, in child processes.

Each child runs `child.pytest_child`; its plugin switches coverage contexts per test file
(`collect:<file>`, `run:<file>`) and streams progress lines. The parent watches them: a test file
that hangs is killed after `timeout`, one that kills the process is named from the last line, and
the batch is run again without the offenders until a run completes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import site
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lockgate.execution import reaper
from lockgate.execution.sandbox import Place, Sandbox

_POLL = 0.03
FILES_PER_PROCESS = 10
# Asked to stop at a timeout, a child writes what its finished files did; one that does not
# start to within this many seconds (stuck in C code) is killed and loses them.
STOP_SIGNAL = getattr(signal, "SIGUSR1", None)
_STOP_GRACE = 5.0
MISSING = "no such test file"


@dataclass
class FileOutcome:
    """What one test file did.

    `failed` counts tests (once each) whose setup, call or teardown failed or errored.
    `executed` lists the measured project files that ran lines while this file was collected or
    run. A module's import-time lines run once, under whichever test file imports it first, so a
    module that this file only imports may be missing here when another file imported it
    earlier: the list can vary with the file order and `jobs`; verdicts and `coverage_of` do not.
    A file whose child process was killed keeps no counts, except its running test as failed.
    """

    path: str
    passed: int
    failed: int
    skipped: int
    failures: list[str]
    problem: str | None
    seconds: float
    executed: list[str] = field(default_factory=list)
    # what the test process observed for this file (see child.observe): input files read or
    # imported, folders listed, and sets of files whose creation would change an import
    loaded: list[str] = field(default_factory=list)
    lists: list[str] = field(default_factory=list)
    probes: list[list[str]] = field(default_factory=list)
    # the files among `loaded` that were read as data (their text), not only run as code
    data: list[str] = field(default_factory=list)
    # coverage saw every line the process ran (no test replaced its trace function)
    traced: bool = False
    # it (or code it imported, or a conftest) started a process, whose lines nobody measured
    spawned: bool = False
    # project files of the modules the test file's own code imported (not what they imported):
    # where its run-time owners come from, not part of what the file did
    imports: list[str] = field(default_factory=list, compare=False)
    # a verdict that depends on the machine's load, not only on the inputs (a timeout, or a
    # process that ended outside any test file): stored as a load-dependent failure
    transient: bool = False
    retry: int = 0  # the retry this outcome comes from (0: the first run) …
    retries: int = 0  # … of how many were allowed

    @property
    def ok(self) -> bool:
        """No problem, no failure, and at least one passed test (an empty or all-skipped file
        proves nothing, so it is not ok)."""
        return self.problem is None and self.failed == 0 and self.passed > 0


@dataclass
class FileCoverage:
    """Executable lines of one measured file, and the lines each coverage context executed."""

    statements: frozenset[int]
    by_context: dict[str, frozenset[int]]
    toplevel: frozenset[int] = frozenset()  # statements that run at import, not in a function


@dataclass
class BatchResult:
    """Every requested test file's outcome, and coverage per measured file."""

    files: dict[str, FileOutcome]
    coverage: dict[str, FileCoverage]
    shared: frozenset[str] = frozenset()  # project modules used as pytest plugins


def _posix(root: Path, path: str) -> str:
    p = Path(path)
    return (p.relative_to(root) if p.is_absolute() else p).as_posix()


def _lost(
    path: str,
    problem: str,
    seconds: float = 0.0,
    test: str | None = None,
    transient: bool = False,
) -> FileOutcome:
    """The outcome of a file whose results died with its child process."""
    failures = [test] if test else []
    return FileOutcome(
        path, 0, int(test is not None), 0, failures, problem, seconds, transient=transient
    )


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


@dataclass(frozen=True)
class _Stopping:
    """The file a chunk's attempt ends at, and why."""

    file: str
    test: str | None
    problem: str
    seconds: float
    since: float  # when it was found out (monotonic)


class _Chunk:
    """One child's share of the files, run again without each offender until a run completes."""

    def __init__(
        self,
        files: list[str],
        workdir: Path,
        spec: dict[str, Any],
        timeout: float,
        timeouts: Mapping[str, float] | None = None,
        place: Place | None = None,
    ):
        self.files, self.workdir, self.spec, self.timeout = files, workdir, spec, timeout
        self.place = place  # where the child runs: a copy of the tree (lockgate.execution.sandbox)
        self.ran: list[str] | None = None  # the files of the attempt not settled yet
        self.timeouts = dict(timeouts or {})  # test file -> its own limit, overriding timeout
        self.outcomes: dict[str, FileOutcome] = {}  # offenders, or everyone when we gave up
        # each attempt's result, with the files to take from it (None: all)
        self.results: list[tuple[dict[str, Any], set[str] | None]] = []
        self.stopping: _Stopping | None = None  # a timed-out file the child was asked to stop
        self.done: list[str] = []  # files finished since the parent last looked, for progress
        self.proc: subprocess.Popen[bytes] | None = None
        self.attempt = 0
        if files:
            self._start()

    def settle(self) -> None:
        """Record what the last attempt wrote in its place, and put the place back."""
        if self.place is not None and self.ran is not None:
            self.place.settle(sorted(self.used) or self.ran)
        self.ran = None

    def _start(self) -> None:
        assert self.place is not None  # a chunk with files has a place
        self.settle()
        self.ran = list(self.files)
        self.attempt += 1
        base = self.workdir / f"attempt{self.attempt}"
        base.mkdir(parents=True)
        self.progress, self.result_path = base / "progress.jsonl", base / "result.json"
        self.output = base / "output.txt"
        spec = {
            **self.spec,
            **_placed(self.spec, self.place),
            "files": self.files,
            "progress": str(self.progress),
            "result": str(self.result_path),
            "basetemp": str(base / "tmp"),
        }
        (base / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
        self.progress.touch()
        self.offset, self.phase, self.finishing = 0, "", False
        self.current: str | None = None  # the test file being collected or run
        self.test: str | None = None  # and its running test
        self.used: dict[str, float] = {}  # seconds each file was current, over both phases
        self.since = time.monotonic()
        with open(self.output, "wb") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "lockgate.execution.child.pytest_child",
                    str(base / "spec.json"),
                ],
                cwd=spec["root"],
                env={**spec["env"], **reaper.marker()},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def real(self, text: str) -> str:
        """``text`` with the place's paths made the project's."""
        return text if self.place is None else self.place.real(text)

    def _elapsed(self, now: float) -> float:
        held = self.used.get(self.current, 0.0) if self.current else 0.0
        return held + now - self.since

    def _read_events(self, now: float) -> None:
        with open(self.progress, "rb") as stream:
            stream.seek(self.offset)
            data = stream.read()
        complete = data[: data.rfind(b"\n") + 1]  # a killed child may leave half a line
        self.offset += len(complete)
        for line in complete.decode("utf-8").splitlines():
            event: dict[str, str] = json.loads(line)
            if self.current is not None:
                self.used[self.current] = self._elapsed(now)
            kind, self.since = event["event"], now
            self.current = event["file"] if kind in ("collect", "run") else None
            self.phase, self.test = kind, event.get("test")
            self.finishing = kind == "finishing"
            if kind == "done":
                self.done.append(event["file"])

    def kill(self) -> None:
        """Kill the child's whole process group (tests may start processes) and reap it."""
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def _exited(self) -> bool:
        # Not reaped yet: until kill() reaps it, its pid (the group id) cannot be reused.
        assert self.proc is not None
        if self.proc.returncode is not None:
            return True
        if not hasattr(os, "waitid"):  # macOS: reaping is all it offers
            return self.proc.poll() is not None
        return os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None

    def _retry_without(self, problem: str, now: float, transient: bool = False) -> bool:
        assert self.current is not None
        test = self.test if self.phase == "run" else None
        return self._restart(
            _Stopping(self.current, test, problem, self._elapsed(now), now), set(), transient
        )

    def _restart(self, offender: _Stopping, finished: set[str], transient: bool) -> bool:
        """Run the files again that neither finished nor offended, if any."""
        name = offender.file
        self.outcomes[name] = _lost(
            name, offender.problem, offender.seconds, offender.test, transient
        )
        self.done.append(name)
        self.files = [f for f in self.files if f != name and f not in finished]
        if self.files:
            self._start()
        return not self.files

    def _stop(self, problem: str, now: float) -> bool:
        """A file timed out: ask the child to write what the files before it did and end."""
        assert self.current is not None and self.proc is not None and STOP_SIGNAL is not None
        test = self.test if self.phase == "run" else None
        self.stopping = _Stopping(self.current, test, problem, self._elapsed(now), now)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, STOP_SIGNAL)
        return False

    def _stopped(self, result: dict[str, Any]) -> bool:
        """The child wrote its result after a stop (or had just finished): keep what finished."""
        assert self.stopping is not None
        offender, self.stopping = self.stopping, None
        listed = result.get("finished")
        finished = set(result["files"] if listed is None else listed) - {offender.file}
        self.results.append((result, finished))
        return self._restart(offender, finished, transient=True)

    def _waiting(self, now: float, exited: bool) -> bool:
        """While a stopped child writes its result; one that dies or does not answer loses
        every result of this attempt, and the files that finished run again."""
        assert self.stopping is not None
        late = (
            now - self.since > self.timeout * 10 + 60
            if self.finishing
            else (now - self.stopping.since > _STOP_GRACE)
        )
        if not exited and not late:
            return False
        self.kill()
        offender, self.stopping = self.stopping, None
        return self._restart(offender, set(), transient=True)

    def _give_up(self, problem: str) -> bool:
        # No file to blame (conftest, plugin or session code): running again would fail again.
        self.outcomes.update((name, _lost(name, problem, transient=True)) for name in self.files)
        self.done.extend(self.files)
        return True

    def poll(self) -> bool:
        """Read progress, enforce the timeout, handle a dead child; True once this chunk is over."""
        if self.proc is None:
            return True
        now = time.monotonic()
        self._read_events(now)
        exited = self._exited()
        if self.result_path.exists():  # written atomically; a child stuck at exit is killed
            self.kill()
            result = json.loads(self.result_path.read_text(encoding="utf-8"))
            if self.stopping is not None:
                return self._stopped(result)
            self.results.append((result, None))
            return True
        if self.stopping is not None:
            return self._waiting(now, exited)
        if not exited:
            own = self.timeouts.get(self.current, self.timeout) if self.current else self.timeout
            if self.current is not None and self._elapsed(now) > own:
                problem = f"timed out after {own:g}s"
                if STOP_SIGNAL is not None:
                    return self._stop(problem, now)
                self.kill()
                return self._retry_without(problem, now, transient=True)
            # Between files (interpreter and plugin start, conftest, session fixtures) the
            # per-feature timeout would punish every file for a loaded machine: allow a minute
            # more. Our own analysis after the tests may take long on big projects.
            limit = self.timeout * 10 + 60 if self.finishing else self.timeout + 60
            if self.current is None and now - self.since > limit:
                self.kill()
                return self._give_up(
                    f"timed out after {limit:g}s outside any test "
                    "file (conftest, session fixtures or hooks)"
                )
            return False
        self.kill()  # the child is gone; this ends what its tests left running
        code = self.proc.wait()  # reaped by kill(): this only reads the status
        self._read_events(now)
        how = f"signal {_signal_name(-code)}" if code < 0 else f"exit code {code}"
        if self.current is not None:
            at = " at import" if self.phase == "collect" else ""
            return self._retry_without(f"killed the test process{at} ({how})", now)
        lines = self.real(self.output.read_text("utf-8", "replace")).split("\n")
        tail = next((line.strip() for line in reversed(lines) if line.strip()), "no output")
        return self._give_up(f"the test process ended without a result ({how}): {tail}")


def _placed(spec: dict[str, Any], place: Place) -> dict[str, Any]:
    """The parts of a child's spec that name paths, for a child running in ``place``."""
    sys_path = [place.path(p) for p in spec["sys_path"]]
    return {
        "root": str(place.root),
        "real_root": spec["root"],
        "mirror": str(place.base),
        "sys_path": sys_path,
        "source": [place.path(p) for p in spec["source"]],
        "env": place.env(_child_env(sys_path, spec["pycache"])),
    }


def _child_env(sys_path: Sequence[str], pycache: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "COVERAGE_PROCESS_START" and not k.startswith("COV_CORE_")
    }
    paths = [*sys_path, *filter(None, [env.get("PYTHONPATH")])]
    here = str(Path(__file__).resolve().parents[2])  # the folder that holds the lockgate package
    if here not in site.getsitepackages():  # lockgate run from a source tree: the child needs it
        paths.append(here)
    env["PYTHONPATH"] = os.pathsep.join(paths)
    # Bytecode (and pytest's rewritten test modules) is cached outside the project, or not
    # at all: nothing may land in the project, not even __pycache__.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPYCACHEPREFIX", None)
    if pycache is not None:
        env["PYTHONPYCACHEPREFIX"] = pycache
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _merge(chunks: list[_Chunk], root: Path) -> BatchResult:
    files: dict[str, FileOutcome] = {}
    lines: dict[str, tuple[set[int], dict[str, set[int]]]] = {}
    toplevel: dict[str, set[int]] = {}
    shared: set[str] = set()
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
            if problem is None and result["exit"] in (2, 3, 4) and not raw["passed"]:
                problem = f"pytest could not run the tests (exit code {result['exit']})"
            reached = [owners[o] for o in observed["reached"].get(name, ())]
            # the test file's own owners, named as the child named them (in its place)
            here = root if chunk.place is None else chunk.place.root
            own = [owners[o] for o in (f"ctx:{name}", f"mod:{here / name}") if o in owners]
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
                spawned=any(o.get("spawned") for o in reached),
                imports=sorted({f for o in own for f in o.get("imported", ())}),
            )
        for path, cov in result["coverage"].items():
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
    for path, cov in coverage.items():
        for label in cov.by_context:
            name = label.partition(":")[2]
            if name in files and path not in files[name].executed:
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
) -> BatchResult:
    """Run all test_files in one batched pytest run (split over `jobs` child processes) under
    coverage of source_roots, isolating files that crash, hang or fail to collect.
    Each child runs in a place of ``sandbox`` (one made for this batch when None), whose
    writes are recorded there.
    ``timeouts`` gives test files a limit of their own instead of ``timeout``. A file that
    fails is run again, alone with the other failing ones, up to ``retries`` times; its last
    run is its outcome and coverage, and ``retry`` says which run that was.

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
) -> BatchResult:
    wanted = list(dict.fromkeys(_posix(root, f) for f in test_files))
    present = [f for f in wanted if (root / f).is_file()]
    missing = {f: _lost(f, MISSING) for f in wanted if f not in present}
    # Each process pays pytest's start-up (about a second with common plugins): a process
    # per job only pays for itself with enough files to share out.
    jobs = max(1, min(jobs, -(-len(present) // files_per_process)))
    size, extra = divmod(len(present), jobs)
    bounds = [i * size + min(i, extra) for i in range(jobs + 1)]
    reported: set[str] = set()

    def report(name: str) -> None:
        if on_file_done is not None and name not in reported:
            reported.add(name)
            on_file_done(name)

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
            _Chunk(
                present[bounds[i] : bounds[i + 1]],
                Path(tmp) / f"chunk{i}",
                spec,
                timeout,
                timeouts,
                sandbox.place(f"tests{i}") if bounds[i + 1] > bounds[i] else None,
            )
            for i in range(jobs)
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
                chunk.settle()
            if own:
                sandbox.close()
        batch = _merge(chunks, root)
    batch.files.update(missing)
    for name in wanted:
        report(name)
    batch.files = {name: batch.files[name] for name in wanted}
    return batch


def coverage_of(
    batch: BatchResult, module_path: str, test_files: Iterable[str]
) -> tuple[float, int, int] | None:
    """(percent, covered lines, statements) of module_path by test_files only; None if
    module_path was not measured or has no statements.

    Covered lines are those executed while collecting or running one of test_files (`collect:t`,
    `run:t`, and `fixture:t`: session fixtures its tests set up) or outside every test file
    (context "": conftest and session code, which every key holds). A module's import-time lines
    (statements outside function bodies) run once, under whichever test file imports the module
    first, so they count from any context — but only when one of test_files used the module
    (imported it, even when it was loaded already, or ran a line of it), as it would alone.
    Function bodies count only when test_files ran them: a verdict depends only on the inputs of
    its own key, whatever else the batch ran. Nothing counts unless one of test_files was
    collected without a problem.
    Percent is rounded to 1 decimal.
    """
    path = Path(module_path).as_posix()
    cov = batch.coverage.get(path)
    if cov is None or not cov.statements:
        return None
    tests = {Path(t).as_posix() for t in test_files}
    valid = {t for t in tests if t in batch.files and batch.files[t].problem is None}
    covered: set[int] = set()
    if valid:
        own = {f"{phase}:{t}" for t in valid for phase in ("collect", "run", "fixture")}
        for label, lines in cov.by_context.items():
            if label == "" or label in own:
                covered |= lines
        used = bool(covered & cov.statements) or any(path in batch.files[t].loaded for t in valid)
        if used:
            for lines in cov.by_context.values():
                covered |= lines & cov.toplevel
    covered &= cov.statements
    total = len(cov.statements)
    return round(100 * len(covered) / total, 1), len(covered), total
