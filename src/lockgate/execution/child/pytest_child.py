"""Child process of `testrun`: `python -m lockgate.execution.child.pytest_child SPEC.json`.

Runs pytest on the spec's test files under coverage.py, streams progress lines for the parent's
watchdog, and writes the outcomes and per-context coverage as JSON to the spec's result path.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import os
import signal
import sys
import threading
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import coverage
from coverage.config import read_coverage_config
from coverage.files import find_python_files

from lockgate.execution.child import per_file, seeding
from lockgate.execution.child.bytecode import stale_bytecode
from lockgate.execution.child.inputs import (
    Paths,
    direct,
    environment_folders,
    reach,
    summarize,
)
from lockgate.execution.child.lifetime import die_with_owner
from lockgate.execution.child.observe import Observer
from lockgate.execution.child.statements import Analysed, Analysis

if TYPE_CHECKING:
    import pytest

    from lockgate.execution.child.pytest_plugin import Plugin

# The coverage, the files to report whether they ran or not, their analyses, and the lines
# per context run before the forks of a process per file (none without).
Measured = tuple[coverage.Coverage, frozenset[str], Analysed, dict[str, dict[str, list[int]]]]

# Loaded before the observer starts, as when this process imported lockgate's reaper: pytest's
# own imports of them are looked up in no project folder, so they are no test file's probes.
_PRELOADED = ("fcntl", "shutil", "tempfile")


def _blame(
    files: dict[str, dict[str, Any]],
    labels: Any,
    problem: str,
    loaded: dict[str, set[str]],
) -> None:
    """Give ``problem`` to the test files that ran the unreadable file: all when it ran
    outside any; those that use the fixture whose setup ran it; those that loaded the module
    whose import ran it (``loaded``: per test file, the project files it loaded)."""
    names: set[str] = set()
    for label in labels:
        kind, _, name = label.partition(":")
        if kind == "fixture":
            names.update(f for f, entry in files.items() if label in entry["fixtures"])
        elif kind == "import":
            names.update(f for f, paths in loaded.items() if name in paths)
        else:
            names.add(name)
    for name in files if "" in labels else names & files.keys():
        files[name]["problem"] = files[name]["problem"] or problem


def _coverage_json(
    cov: coverage.Coverage,
    wanted: frozenset[str],
    analysed: Analysed,
    inherited: dict[str, dict[str, list[int]]],
    files: dict[str, dict[str, Any]],
    loaded: dict[str, set[str]],
) -> dict[str, Any]:
    """Statements and lines per context of the measured files under root that ran any line
    (here, or before a fork: ``inherited``), and of ``wanted`` (real paths), run or not.

    Analysing a file parses it: files nobody asked about cost two seconds per run at 1,000
    features when every unexecuted file of the source folders was reported. A file it
    cannot read (an undeclared non-UTF-8 byte on its first lines, which Python itself accepts
    in a comment) has no statements, and the test files that ran it get its problem in
    ``files``: only they depend on it.
    """
    data = cov.get_data()
    ran = set(data.measured_files()) | inherited.keys()
    result: dict[str, Any] = {}
    for measured in sorted(ran | wanted):
        if not Path(measured).is_relative_to(analysed.root):
            continue
        early = inherited.get(measured, {})
        if measured not in wanted and not (data.lines(measured) or early):
            continue
        analysis = analysed.of(measured)
        if analysis is None:
            continue
        contexts: dict[str, list[int]] = defaultdict(list, {k: list(v) for k, v in early.items()})
        for line, labels in (data.contexts_by_lineno(measured) or {}).items():
            for label in labels:
                contexts[label].append(line)
        if analysis.problem is not None:
            _blame(files, contexts.keys(), analysis.problem, loaded)
        result[Path(measured).relative_to(analysed.root).as_posix()] = _entry(analysis, contexts)
    return result


def _entry(analysis: Analysis, contexts: dict[str, list[int]]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "statements": analysis.statements,
        "contexts": {label: sorted(set(lines)) for label, lines in contexts.items()},
        "toplevel": analysis.toplevel,
    }
    if not analysis.python:
        entry["python"] = False
    return entry


def _reported(spec: dict[str, Any]) -> frozenset[str]:
    """The files whose coverage is reported whether they ran or not (real paths): the spec's
    modules, or every importable file of the source folders (coverage's ``source``)."""
    modules = spec.get("modules")
    if modules is None:
        found = (f for s in spec["source"] for f in find_python_files(s, False))
    else:
        found = (os.path.join(spec["root"], m) for m in modules)
    return frozenset(map(os.path.realpath, found))


def _unexecuted(spec: dict[str, Any], wanted: frozenset[str], analysed: Analysed) -> str:
    """Write, as a result of no test file, the statements of every module in ``wanted``: with
    a process per test file each reports only the files it ran, and a module none ran counts
    0 % (analysed here, once, before the forks, which inherit the analyses). Its path."""
    coverage_of = {}
    for measured in sorted(wanted):
        analysis = analysed.of(measured)
        if analysis is not None and Path(measured).is_relative_to(analysed.root):
            coverage_of[Path(measured).relative_to(analysed.root).as_posix()] = _entry(analysis, {})
    path = f"{spec['result']}.static"
    result = {
        "exit": 0,
        "files": {},
        "finished": None,
        "coverage": coverage_of,
        "observed": {"owners": {}, "reached": {}, "direct": {}},
        "traced": True,
        "shared": [],
    }
    Path(path).write_text(json.dumps(result), encoding="utf-8")
    return path


def _anchor(files: list[str]) -> str:
    """The folder that holds every file: pytest's one argument.

    pytest chooses its configuration file from it, and loads the conftest files above and in
    it before any test file (the plugin ignores everything else under it). One folder, not one
    per file: each file runs in a process forked after that start (:mod:`.per_file`), and a
    conftest of a sibling folder loaded there would reach files it does not serve, depending
    on which files share the child.
    """
    return (os.path.commonpath([str(Path(f).parent) for f in files]) if files else "") or "."


def _rewritten_cache(source: str) -> str:
    """Where pytest caches the assertion-rewritten bytecode of a test module."""
    # lazy: pytest loads once the observer watches (main): its module lookups are inputs
    from _pytest.assertion.rewrite import PYC_TAIL, get_cache_dir

    path = Path(source)
    return str(get_cache_dir(path) / (path.name[:-3] + PYC_TAIL))


def _probe_configuration(observer: Observer, root: Path) -> None:
    """Record which configuration files pytest looks for while choosing its configuration:
    the one it chose and every candidate that would take precedence, wherever it looks."""
    # lazy: pytest loads once the observer watches (main): its module lookups are inputs
    import _pytest.config
    from _pytest.config import findpaths

    real = findpaths.determine_setup

    def determine_setup(**kwargs: Any) -> Any:
        checks = {name: getattr(Path, name) for name in ("is_file", "exists", "is_dir")}

        def traced(name: str) -> Any:
            def check(self: Path, *args: Any, **kw: Any) -> bool:
                found: bool = checks[name](self, *args, **kw)
                probe(str(self), found and checks["is_file"](self))
                return found

            return check

        project_file = os.path.abspath(root / "pyproject.toml")

        def probe(path: str, present: bool) -> None:
            # pytest reads the project's pyproject.toml for [tool.pytest], which every tested
            # key holds as a table: the rest of the file (its version) is not pytest's input.
            if os.path.abspath(path) != project_file:
                record(path, present)

        with observer.probing() as record:
            for name in checks:
                setattr(Path, name, traced(name))
            try:
                return real(**kwargs)
            finally:
                for name, check in checks.items():
                    setattr(Path, name, check)

    _pytest.config.determine_setup = determine_setup  # type: ignore[attr-defined]


def _observe(observer: Observer, spec: dict[str, Any]) -> None:
    """Start observing; when the parent watches the place (lockgate.execution.placewatch),
    count every open of ours there from the open of its sentinel on: the parent compares what
    it sees from then."""
    observer.install()
    if spec.get("watched"):
        observer.ledger.count_under(spec["root"])
        with open(spec["watched"], "rb"):
            pass


def _observed(observer: Observer, spec: dict[str, Any]) -> dict[str, Any]:
    """Per test file, the owners of observations it reached (see child.inputs)."""
    root = spec["root"]
    # In a sandbox (execution.sandbox) inputs are named by the real paths the copies stand for;
    # the rest of the run's folder is lockgate's own.
    mirror = spec.get("mirror")
    own = [spec["basetemp"], os.path.dirname(spec["result"]), os.path.dirname(mirror or "")]
    drop = environment_folders(*own, sys.pycache_prefix or "")
    paths = Paths(spec.get("real_root", root), drop, mirror)
    report = observer.report()
    owners = summarize(report, paths)
    reached = {
        name: reach(owners, ["ctx:", f"ctx:{name}", f"mod:{os.path.join(root, name)}"])
        for name in spec["files"]
    }
    return {"owners": owners, "reached": reached, "direct": direct(report, paths)}


def _project_exclusions(cov: coverage.Coverage) -> None:
    """Honour the project's coverage configuration where it decides what a statement is
    (``[report] exclude_lines`` / ``exclude_also``, read from ``.coveragerc``, ``setup.cfg``,
    ``tox.ini`` or ``pyproject.toml`` as coverage reads them). Its run settings (source, data
    file, plugins, dynamic contexts, branch) stay ours: they would replace the per-test-file
    contexts that verdicts are computed from."""
    settings = read_coverage_config(config_file=True, warn=lambda _message: None)
    cov.set_option("report:exclude_lines", settings.exclude_list)
    cov.set_option("report:partial_branches", settings.partial_list)


def _runner_frames() -> set[Any]:
    """The code of pytest's frames that call a test or fixture function (Observer.boundaries)."""
    # lazy: pytest loads once the observer watches (main): its module lookups are inputs
    from _pytest import fixtures, python, runner

    return {
        python.pytest_pyfunc_call.__code__,
        fixtures.call_fixture_func.__code__,
        runner.collect_one_node.__code__,
    }


def _coverage(spec: dict[str, Any], observer: Observer) -> coverage.Coverage:
    """Coverage of the spec's source, with the project's exclusions, not started yet.

    The source folders are given as ``include`` patterns, not as ``source``: with ``source``
    coverage walks them for files that never ran each time its data is read, once per test
    file with a process per file; the files a verdict needs are reported by name instead
    (``_coverage_json``)."""
    cov = coverage.Coverage(
        data_file=None,
        include=[os.path.join(folder, "*") for folder in spec["source"]],
        branch=False,
        config_file=False,
        omit=[str(Path(__file__).parent / "pytest_*.py")],  # this module and its plugin
    )
    # Its candidate files are static inputs of every tested key (layers.base), so the reads
    # are not observed: they would be every test file's extras.
    observer.paused = True
    try:
        _project_exclusions(cov)
    finally:
        observer.paused = False
    return cov


def _arguments(spec: dict[str, Any], root: Path) -> list[str]:
    """pytest's command line: the folders of the spec's files, and options that keep the run
    ours (no cache in the project, every file collected); the plugin adds the options that keep
    other coverage or distribution plugins out, once pytest knows which it loaded."""
    return [
        _anchor(spec["files"]),
        "-p",
        "no:cacheprovider",
        "--continue-on-collection-errors",
        "-q",
        "--rootdir",
        str(root),
        "--basetemp",
        spec["basetemp"],
    ]


def main(spec_path: str) -> int:
    """Run the spec's tests under coverage and write the result file; 0 when it was written."""
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    root = Path(spec["root"])
    own = [spec["basetemp"], os.path.dirname(spec["result"]), sys.pycache_prefix or ""]
    for name in _PRELOADED:
        importlib.import_module(name)
    seeding.install()  # draws from generators nobody seeded are the tree's
    observer = Observer(environment_folders(*own))
    _observe(observer, spec)
    sys.path[:0] = spec["sys_path"]
    # Bytecode goes to PYTHONPYCACHEPREFIX (outside the project) or nowhere.
    sys.dont_write_bytecode = not sys.pycache_prefix
    if sys.pycache_prefix:
        sources = [str(root / f) for f in spec["python_files"]]
        stale_bytecode(sources, _rewritten_cache)
    _probe_configuration(observer, root)
    observer.boundaries = _runner_frames()
    # Coverage starts before pytest so conftest files and test modules are measured from line one.
    cov = _coverage(spec, observer)
    cov.start()
    observer.tracers = (sys.gettrace(), threading.gettrace())
    # lazy: pytest and its plugin (which imports it) load under the observer and coverage
    import pytest

    # lazy: the plugin imports pytest at its top, so it too waits for coverage and the observer
    from lockgate.execution.child.pytest_plugin import Plugin, run_alone

    with open(spec["progress"], "a", encoding="utf-8") as progress:
        plugin = Plugin(cov, root, spec["files"], progress, observer)
        plugin.labels.install()
        observer.watch({str(root / f): f for f in spec["files"]})
        ending: list[bool] = []
        analysed = Analysed(cov, Path(os.path.realpath(root)))
        inherited: dict[str, dict[str, list[int]]] = {}  # lines run before the forks
        observer.paused = True  # lockgate's own looks
        wanted = _reported(spec)
        observer.paused = False

        def finish(
            part: dict[str, Any],
            code: int,
            finished: list[str] | None,
            wanted: frozenset[str] = wanted,
        ) -> None:
            ending.append(True)
            traced = not plugin.untraced and sys.gettrace() is plugin.tracer
            observer.paused = True  # what follows is lockgate's own analysis
            cov.stop()
            progress.write(json.dumps({"event": "finishing", "file": None}) + "\n")
            progress.flush()
            measured = (cov, wanted, analysed, inherited)
            with _own_warnings():
                _write_result(part, root, plugin, observer, code, finished, traced, measured)

        def stop(_signum: int, _frame: object) -> None:
            # The parent timed a file out: what the files before it did is written, and
            # only the files that had not finished run again.
            if ending:
                return  # the result is being written anyway
            finish(spec, 0, list(plugin.finished))
            os._exit(0)

        def one(session: pytest.Session, name: str, part: dict[str, str]) -> None:
            plugin.only(name)
            code = run_alone(session, part["output"])
            # the modules no file ran are reported once, apart (_unexecuted)
            ran = frozenset[str]()
            finish({**spec, "files": [name], "result": part["result"]}, code, None, ran)

        stop_signal = getattr(signal, "SIGUSR1", None)
        if stop_signal is not None:
            signal.signal(stop_signal, stop)
        if per_file.available() and len(spec["files"]) > 1:
            plugin.split = functools.partial(
                _split, spec, observer, (cov, wanted, analysed, inherited), one
            )
        code = pytest.main(_arguments(spec, root), plugins=[plugin])
        finish(spec, int(code), None)
    return 0


def _split(
    spec: dict[str, Any],
    observer: Observer,
    measured: Measured,
    one: Callable[[pytest.Session, str, dict[str, str]], None],
    session: pytest.Session,
) -> None:
    """Run each of the spec's files in a process of its own (``one`` in a fork)."""
    cov, wanted, analysed, inherited = measured
    run = functools.partial(one, session)
    each = per_file.Each(spec["files"], spec["result"], spec["progress"], observer, run)
    # lockgate's own work, done once for every fork to inherit: not a test's doing
    observer.paused = True
    with _own_warnings():
        # coverage starts a fork's data afresh: the lines run so far are every fork's
        inherited.update(_lines(cov.get_data(), analysed.root))
        each.extra.append(_unexecuted(spec, wanted, analysed))
        _observed(observer, spec)  # summaries of what every fork observed before it began
    observer.paused = False
    each.all()


@contextlib.contextmanager
def _own_warnings() -> Iterator[None]:
    """Warnings of lockgate's own work are not the project's: with a process per file it runs
    inside pytest's collection, where a ``filterwarnings = error`` would raise coverage's "no
    data was collected" of a process that ran no measured line."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _lines(data: coverage.CoverageData, root: Path) -> dict[str, dict[str, list[int]]]:
    """Per measured file under ``root``, its lines per context."""
    found: dict[str, dict[str, list[int]]] = {}
    for measured in data.measured_files():
        if Path(measured).is_relative_to(root):
            contexts: dict[str, list[int]] = defaultdict(list)
            for line, labels in (data.contexts_by_lineno(measured) or {}).items():
                for label in labels:
                    contexts[label].append(line)
            found[measured] = dict(contexts)
    return found


def _write_result(
    spec: dict[str, Any],
    root: Path,
    plugin: Plugin,
    observer: Observer,
    code: int,
    finished: list[str] | None,
    traced: bool,
    measured: Measured,
) -> None:
    """Outcomes, coverage and observations, atomically; ``finished`` names the files whose
    outcomes are complete when the run was stopped early (None: it ran to its end); ``traced``
    whether coverage's tracer saw the whole run (block keys trust it); ``measured``: the
    coverage, the files to report whether they ran or not, and their analyses."""
    files = plugin.outcomes()
    observed = _observed(observer, spec)
    owners = observed["owners"]
    loaded = {
        name: {f for o in reached for f in owners[o]["files"]}
        for name, reached in observed["reached"].items()
    }
    result = {
        "exit": code,
        "files": files,
        "finished": finished,
        "coverage": _coverage_json(*measured, files, loaded),
        "observed": observed,
        "traced": traced,
        "shared": sorted(
            p.relative_to(root).as_posix()
            for f in observer.shared_code
            if (p := Path(f).resolve()).is_relative_to(root)
        ),
    }
    result["watch"] = observer.ledger.report()  # last: the work above opens files too
    tmp = spec["result"] + ".tmp"
    Path(tmp).write_text(json.dumps(result), encoding="utf-8")
    os.replace(tmp, spec["result"])


if __name__ == "__main__":
    die_with_owner()  # a SIGKILLed lockgate takes this process group (tests' processes) along
    sys.exit(main(sys.argv[1]))
