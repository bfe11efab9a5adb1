"""Child process of `testrun`: `python -m lockgate.execution.child.pytest_child SPEC.json`.

Runs pytest on the spec's test files under coverage.py, streams progress lines for the parent's
watchdog, and writes the outcomes and per-context coverage as JSON to the spec's result path.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import json
import os
import signal
import sys
import threading
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import coverage
from coverage.config import read_coverage_config

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

if TYPE_CHECKING:
    from lockgate.execution.child.pytest_plugin import Plugin

# Loaded before the observer starts, as when this process imported lockgate's reaper: pytest's
# own imports of them are looked up in no project folder, so they are no test file's probes.
_PRELOADED = ("fcntl", "shutil", "tempfile")


def _unreadable(path: Path, root: Path, exc: Exception) -> str:
    """Why coverage could not analyse ``path``, naming the file and line."""
    line = getattr(exc, "lineno", None)
    if line is None:  # coverage's encoding check names no line: find the first bad one
        with contextlib.suppress(OSError):
            for number, text in enumerate(path.read_bytes().splitlines(), 1):
                try:
                    text.decode("utf-8")
                except UnicodeDecodeError:
                    line = number
                    break
    where = path.relative_to(root).as_posix() + (f":{line}" if line else "")
    if isinstance(exc, SyntaxError) and "encoding" in str(exc.msg):
        return f"{where}: a byte that is not UTF-8 and no encoding declaration"
    return f"{where}: cannot be read as Python source: {type(exc).__name__}: {exc}"


def _is_python(path: Path) -> bool:
    """Whether ``path`` is Python source, by what it holds: Python compiles it. A template
    compiled by its engine (Jinja) runs lines under the template's own name, and is not."""
    try:
        compile(path.read_bytes(), str(path), "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError):  # ValueError: a NUL byte
        return False
    except OSError:
        return True  # unreadable now: analysis will say so, as of a Python file
    return True


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
    root: Path,
    modules: list[str] | None,
    files: dict[str, dict[str, Any]],
    loaded: dict[str, set[str]],
) -> dict[str, Any]:
    """Statements and lines per context of the measured files under root: every one, or (with
    ``modules``) those that ran any line plus ``modules``.

    Analysing a file parses it; coverage lists every unexecuted file under ``source`` too,
    which cost two seconds per run at 1,000 features for files nobody asked about. A file it
    cannot read (an undeclared non-UTF-8 byte on its first lines, which Python itself accepts
    in a comment) has no statements, and the test files that ran it get its problem in
    ``files``: only they depend on it.
    """
    data = cov.get_data()
    wanted = None if modules is None else {(root / m).resolve() for m in modules}
    result: dict[str, Any] = {}
    for measured in sorted(data.measured_files()):
        path = Path(measured)
        if not path.is_relative_to(root):
            continue
        if wanted is not None and path.resolve() not in wanted and not data.lines(measured):
            continue
        contexts: dict[str, list[int]] = defaultdict(list)
        for line, labels in (data.contexts_by_lineno(measured) or {}).items():
            for label in labels:
                contexts[label].append(line)
        python = True
        try:
            statements = cov.analysis2(measured)[1]
        except coverage.exceptions.NoSource:
            continue  # deleted by a test: nothing to report
        except (coverage.exceptions.CoverageException, SyntaxError, ValueError) as exc:
            statements = []
            # A file that is not Python (a template its engine compiled under its own name)
            # has no statements and no block view, and is no problem of the tests that ran
            # it: the parent keys it whole. A Python file coverage cannot read is theirs.
            python = _is_python(path)
            if python:
                _blame(files, contexts.keys(), _unreadable(path, root, exc), loaded)
        entry: dict[str, Any] = {
            "statements": sorted(statements),
            "contexts": {label: sorted(lines) for label, lines in contexts.items()},
            "toplevel": sorted(_toplevel(path, statements)),
        }
        if not python:
            entry["python"] = False
        result[path.relative_to(root).as_posix()] = entry
    return result


def _toplevel(path: Path, statements: Iterable[int]) -> set[int]:
    """The statements that run when the module is imported: every one outside a function
    body (a ``def`` line, its decorators and defaults run at import; its body does not)."""
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return set()
    inside: set[int] = set()
    stack: list[ast.AST] = [tree]
    while stack:  # statements only: a lambda's body shares its statement's line
        node = stack.pop()
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, name, None) or ():
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    first = child.body[0].lineno
                    inside.update(range(first, (child.end_lineno or first) + 1))
                elif isinstance(child, ast.stmt | ast.excepthandler | ast.match_case):
                    stack.append(child)
    return {line for line in statements if line not in inside}


def _folders(files: list[str]) -> list[str]:
    """The fewest folders that hold every file (the plugin ignores everything else in them)."""
    parents = sorted({str(Path(f).parent) for f in files})
    kept: list[str] = []
    for folder in parents:
        if not any(folder == k or folder.startswith(k.rstrip("/") + "/") or k == "." for k in kept):
            kept.append(folder)
    return kept


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
    """Coverage of the spec's source, with the project's exclusions, not started yet."""
    cov = coverage.Coverage(
        data_file=None,
        source=spec["source"],
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
        *_folders(spec["files"]),
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
    observer = Observer(environment_folders(*own))
    observer.install()
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
    from lockgate.execution.child.pytest_plugin import Plugin

    with open(spec["progress"], "a", encoding="utf-8") as progress:
        plugin = Plugin(cov, root, spec["files"], progress, observer)
        plugin.labels.install()
        observer.watch({str(root / f): f for f in spec["files"]})
        ending: list[bool] = []

        def finish(code: int, finished: list[str] | None) -> None:
            ending.append(True)
            traced = not plugin.untraced and sys.gettrace() is plugin.tracer
            observer.paused = True  # what follows is lockgate's own analysis
            cov.stop()
            progress.write(json.dumps({"event": "finishing", "file": None}) + "\n")
            progress.flush()
            _write_result(spec, cov, root, plugin, observer, code, finished, traced)

        def stop(_signum: int, _frame: object) -> None:
            # The parent timed a file out: what the files before it did is written, and
            # only the files that had not finished run again.
            if ending:
                return  # the result is being written anyway
            finish(0, list(plugin.finished))
            os._exit(0)

        stop_signal = getattr(signal, "SIGUSR1", None)
        if stop_signal is not None:
            signal.signal(stop_signal, stop)
        code = pytest.main(_arguments(spec, root), plugins=[plugin])
        finish(int(code), None)
    return 0


def _write_result(
    spec: dict[str, Any],
    cov: coverage.Coverage,
    root: Path,
    plugin: Plugin,
    observer: Observer,
    code: int,
    finished: list[str] | None,
    traced: bool,
) -> None:
    """Outcomes, coverage and observations, atomically; ``finished`` names the files whose
    outcomes are complete when the run was stopped early (None: it ran to its end); ``traced``
    whether coverage's tracer saw the whole run (block keys trust it)."""
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
        "coverage": _coverage_json(cov, root, spec.get("modules"), files, loaded),
        "observed": observed,
        "traced": traced,
        "shared": sorted(
            p.relative_to(root).as_posix()
            for f in observer.shared_code
            if (p := Path(f).resolve()).is_relative_to(root)
        ),
    }
    tmp = spec["result"] + ".tmp"
    Path(tmp).write_text(json.dumps(result), encoding="utf-8")
    os.replace(tmp, spec["result"])


if __name__ == "__main__":
    die_with_owner()  # a SIGKILLed lockgate takes this process group (tests' processes) along
    sys.exit(main(sys.argv[1]))
