"""pytest plugin of the test child: a coverage context per test file, outcomes, progress."""

from __future__ import annotations

import contextlib
import json
import re
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import coverage
import pytest

from lockgate.execution.child import seeding
from lockgate.execution.child.labels import Labels
from lockgate.execution.child.patterns import matches

if TYPE_CHECKING:
    from lockgate.execution.child.observe import Observer

_LOCATION = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)')
# Options that keep other coverage or distribution plugins from taking over the run: a
# project's `--cov` addopts would replace our tracer, tests in xdist workers would be invisible
# to our coverage. Each is given only when a plugin pytest loaded knows it.
GUARDS = (("--no-cov",), ("-n", "0"))
_PACKAGE = ("__init__.py", "conftest.py")  # files of a folder that serve its test files


def _error_line(report: pytest.CollectReport) -> str:
    """The exception line of a failed collection ("E   ImportError: ..."), else its last line,
    with the file and line a SyntaxError names (another module's, often)."""
    lines = [line.strip() for line in str(report.longrepr).splitlines() if line.strip()]
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    text = (errors or lines or ["unknown error"])[-1]
    where = [m for m in map(_LOCATION.search, errors) if m]
    if where:
        path = Path(where[-1]["path"])
        with contextlib.suppress(ValueError):  # the child runs in the project root
            path = path.resolve().relative_to(Path.cwd())
        text += f" ({path.as_posix()}:{where[-1]['line']})"
    return text


def fixture_label(fixturedef: Any) -> str:
    """The coverage context of a session or package fixture's setup: where it is defined and
    its name."""
    return f"fixture:{fixturedef.baseid}::{fixturedef.argname}"


def _shared_fixtures(item: pytest.Item) -> set[str]:
    """The labels of the session and package fixtures ``item`` uses, itself or through other
    fixtures (the definition that serves it: the last of those its name has)."""
    info = getattr(item, "_fixtureinfo", None)
    names = getattr(info, "name2fixturedefs", None) or {}
    found = set()
    for name in getattr(item, "fixturenames", ()):
        defs = names.get(name)
        if defs and defs[-1].scope in ("session", "package"):
            found.add(fixture_label(defs[-1]))
    return found


class Plugin:
    """Switches coverage contexts per test file, records outcomes, streams progress lines."""

    def __init__(
        self,
        cov: coverage.Coverage,
        root: Path,
        files: list[str],
        progress: TextIO,
        observer: Observer | None = None,
    ):
        self.cov = cov
        self.labels = Labels(cov, str(root))
        self.root = root.resolve()
        self.observer = observer
        self.progress = progress
        self.targets = {(root / f).resolve(): f for f in files}
        self.dirs = {parent for target in self.targets for parent in target.parents}
        self.problems: dict[str, str | None] = dict.fromkeys(files)
        self.seconds: dict[str, float] = dict.fromkeys(files, 0.0)
        self.skipped_modules: set[str] = set()
        self.node_file: dict[str, str] = {}
        self.states: dict[str, str] = {}  # node id -> passed | failed | skipped
        self.remaining: Counter[str] = Counter()
        self.file = ""  # the test file whose test runs now
        # per test file, the session and package fixtures its tests use (their labels): what
        # their setup ran counts for each of those files, whichever set it up first
        self.uses: dict[str, set[str]] = {f: set() for f in files}
        self.fixtures = 0  # session or package fixtures being set up, nested
        # Block keys trust coverage to have seen every line that ran: a test that leaves
        # another trace function in place (a debugger, a profiler, sys.settrace), here or
        # for threads to come, makes the lines of every later test unknown. One that puts
        # coverage's back is the observer's (Observer.tracers): only its test file's lines.
        self.tracer = sys.gettrace()
        self.thread_tracer = threading.gettrace()
        self.untraced = self.tracer is None
        self.finished: list[str] = []  # files whose every test has run
        # set when each file runs in a process of its own (child.per_file): collection hands
        # the session to it, and it never returns
        self.split: Callable[[pytest.Session], None] | None = None
        self.alone = False  # this process runs one file (only)

    def only(self, name: str) -> None:
        """From now on this process collects and runs test file ``name`` alone."""
        target = next(t for t, f in self.targets.items() if f == name)
        self.alone = True
        self.targets = {target: name}
        self.dirs = set(target.parents)
        self.problems = {name: self.problems[name]}
        self.seconds = {name: 0.0}
        self.uses = {name: set()}

    def _context(self, name: str) -> None:
        """Observations from now on belong to test file ``name`` ("" for none)."""
        if self.observer is not None:
            self.observer.context = name

    def _emit(self, event: str, name: str, test: str | None = None) -> None:
        # Flushed line by line: the parent must see the last event even if the child dies next.
        if event == "done":
            self.finished.append(name)
        self.progress.write(json.dumps({"event": event, "file": name, "test": test}) + "\n")
        self.progress.flush()

    def _file_of(self, path: Path) -> str | None:
        return self.targets.get(Path(path).resolve())

    @pytest.hookimpl(wrapper=True)
    def pytest_load_initial_conftests(
        self, early_config: pytest.Config, parser: pytest.Parser, args: list[str]
    ) -> Generator[None, None, None]:
        """Add the guard options pytest's parser knows, before any plugin reads them.

        By now pytest has loaded the plugins of its entry points, ``-p`` and ``PYTEST_PLUGINS``
        (a module that merely can be imported, such as a folder left behind by an uninstalled
        pytest-cov, is not one): an option no plugin registered would be a usage error. The
        options join ``args``, which pytest parses last, and the early namespace that
        pytest-cov reads in this same hook.
        """
        defaults = vars(parser.parse_known_args([]))
        for guard in GUARDS:
            parsed, unknown = parser.parse_known_and_unknown_args(list(guard))
            if unknown:
                continue
            args.extend(guard)
            for name, value in vars(parsed).items():
                if defaults.get(name) != value:
                    setattr(early_config.known_args_namespace, name, value)
        return (yield)

    def pytest_plugin_registered(self, plugin: object) -> None:
        """A project module used as a plugin (``pytest_plugins``) serves every test file."""
        file = getattr(plugin, "__file__", None)
        if (
            self.observer is not None
            and isinstance(file, str)
            and Path(file).resolve().is_relative_to(self.root)
        ):
            self.observer.share(file)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> bool | None:
        """With a process per file, the files are collected and run in the forks."""
        if self.split is None:
            return None
        self.split(session)
        return True

    def pytest_ignore_collect(self, collection_path: Path) -> bool | None:
        """Skip every file and folder that holds none of the requested test files.

        The child passes the folder that holds them all, not files: pytest re-lists a folder
        for every file argument in it, which made 500 file arguments take a minute before the
        first test.
        """
        # One file per process: its siblings are turned away without resolving each (a folder
        # of 1,000 test files cost a second per fork).
        sibling = collection_path.parent in self.dirs and collection_path.name not in _PACKAGE
        if self.alone and sibling and collection_path.suffix == ".py":
            return None if collection_path in self.targets else True
        path = collection_path.resolve()
        if path in self.dirs:
            return False  # pytest's argument is a folder above: its own ignores do not apply
        if path in self.targets:
            return None
        if path.name in _PACKAGE:
            return None  # packages and fixtures work as in a plain run
        if path.is_dir() or path.suffix == ".py":
            return True
        return None

    def pytest_collect_file(
        self, file_path: Path, parent: pytest.Collector
    ) -> pytest.Module | None:
        """A requested test file that ``python_files`` does not match (named in ``tests``)
        is collected as pytest collects a file it is given by name."""
        name = self._file_of(file_path)
        if name is None or matches(name, parent.config.getini("python_files")):
            return None
        module: pytest.Module = pytest.Module.from_parent(parent, path=file_path)
        return module

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        """Collect each requested test file under its own `collect:<file>` context."""
        if not isinstance(collector, pytest.File):
            return self._nested(collector, (yield))
        name = self._file_of(collector.path)
        if name is None:
            return (yield)
        self._emit("collect", name)
        self.labels.set(f"collect:{name}")
        self._context(name)
        seeding.restart(name)  # its draws are the file's, whatever ran before
        start = time.perf_counter()
        try:
            report = yield
        except SystemExit as exc:
            # pytest lets SystemExit from a module's import end the whole session; here it
            # is that one file's collection error, and the other files carry on.
            report = pytest.CollectReport(
                collector.nodeid, "failed", f"SystemExit: sys.exit({exc.code!r}) at import", []
            )
        finally:
            self.labels.set("")
            self._context("")
            self.seconds[name] += time.perf_counter() - start
        if report.failed:
            self.problems[name] = f"collection error: {_error_line(report)}"
        if report.skipped:  # pytest.skip(allow_module_level=True): pytest counts one skip
            self.skipped_modules.add(name)
        self._emit("collected", name)
        return report

    def _nested(
        self, collector: pytest.Collector, report: pytest.CollectReport
    ) -> pytest.CollectReport:
        """A class (or other collector inside a test file) that failed to collect fails that
        file, as pytest counts it an error; the detail names the collector's node id."""
        path = getattr(collector, "path", None)
        name = self._file_of(path) if isinstance(path, Path) and path.suffix == ".py" else None
        if name is not None and report.failed:
            problem = f"collection error in {collector.nodeid}: {_error_line(report)}"
            earlier = self.problems[name]
            self.problems[name] = problem if earlier is None else f"{earlier}; {problem}"
        return report

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Count each file's items, so its last test can report it done; files without any are."""
        for item in session.items:
            name = self._file_of(item.path)
            if name is not None:
                self.node_file[item.nodeid] = name
                self.remaining[name] += 1
        for name in self.problems:
            if not self.remaining[name]:
                self._emit("done", name)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> Generator[None, object, object]:
        """Run setup, call and teardown of an item under the `run:<file>` context."""
        name = self.node_file.get(item.nodeid)
        if name is None:
            return (yield)
        self._emit("run", name, item.nodeid)
        self.labels.set(f"run:{name}")
        self.uses[name].update(_shared_fixtures(item))
        self._context(name)
        self.file = name
        start = time.perf_counter()
        try:
            return (yield)
        finally:
            self.labels.set("")
            self._context("")
            self.file = ""
            if sys.gettrace() is not self.tracer or threading.gettrace() != self.thread_tracer:
                self.untraced = True
            self.seconds[name] += time.perf_counter() - start
            self.remaining[name] -= 1
            if not self.remaining[name]:
                self._emit("done", name)

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef[Any]
    ) -> Generator[None, object, object]:
        """Set up a session or package fixture under ``fixture:<id>``: its value serves every
        later test file, so what its setup ran counts for them all in block keys, and for the
        coverage of every test file that uses it (see ``coverage_of``)."""
        if not self.file or fixturedef.scope not in ("session", "package"):
            return (yield)
        # A fixture's own fixtures are set up inside its hook: only the outermost switches back.
        self.fixtures += 1
        if self.fixtures == 1:
            self.labels.set(fixture_label(fixturedef))
        try:
            return (yield)
        finally:
            self.fixtures -= 1
            if not self.fixtures:
                self.labels.set(f"run:{self.file}")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """A test counts once: failed if any phase failed, else skipped, else passed."""
        if report.nodeid not in self.node_file or self.states.get(report.nodeid) == "failed":
            return
        if report.failed:
            self.states[report.nodeid] = "failed"
        elif report.skipped:
            self.states[report.nodeid] = "skipped"
        elif report.when == "call":
            self.states[report.nodeid] = "passed"

    def outcomes(self) -> dict[str, dict[str, Any]]:
        """Per requested file: counts, failing node ids, problem and seconds."""
        result: dict[str, dict[str, Any]] = {
            f: {
                "passed": 0,
                "failed": 0,
                "skipped": int(f in self.skipped_modules),
                "failures": [],
                "problem": problem,
                "seconds": self.seconds[f],
                "fixtures": sorted(self.uses[f]),
            }
            for f, problem in self.problems.items()
        }
        for nodeid, state in self.states.items():
            entry = result[self.node_file[nodeid]]
            entry[state] += 1
            if state == "failed":
                entry["failures"].append(nodeid)
        return result


def run_alone(session: pytest.Session, output: str) -> int:
    """Collect and run the one test file the plugin keeps (``Plugin.only``) in a session that
    has started (the fork of :mod:`.per_file`), as ``pytest.main`` would; its exit code.
    Collection starts from pytest's own argument, not the file: a file the project's
    ``collect_ignore`` or ``--ignore`` keeps away stays away. What pytest would print of a run
    it could not carry out goes to ``output``."""
    try:
        session.perform_collect()
        session.config.hook.pytest_runtestloop(session=session)
    except pytest.UsageError as exc:
        return _said(output, f"ERROR: {exc}", pytest.ExitCode.USAGE_ERROR)
    except session.Failed:
        return pytest.ExitCode.TESTS_FAILED
    except (KeyboardInterrupt, session.Interrupted, pytest.exit.Exception) as exc:
        return _said(output, f"!!!!! {exc} !!!!!", pytest.ExitCode.INTERRUPTED)
    except Exception:  # pytest's internal error, as pytest.main reports it
        lines = traceback.format_exc().splitlines()
        text = "\n".join(f"INTERNALERROR> {line}" for line in lines)
        return _said(output, text, pytest.ExitCode.INTERNAL_ERROR)
    if session.testsfailed:
        return pytest.ExitCode.TESTS_FAILED
    return pytest.ExitCode.OK if session.testscollected else pytest.ExitCode.NO_TESTS_COLLECTED


def _said(output: str, text: str, code: int) -> int:
    with open(output, "a", encoding="utf-8") as out:
        out.write(text + "\n")
    return code
