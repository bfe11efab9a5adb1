"""What a batched test run found: each test file's outcome, the coverage of every measured
file per context, and from those the coverage of a module by given test files."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

MISSING = "no such test file"  # the problem of a requested test file that is not there
# Coverage context prefixes (see execution.child.labels): lines run while a project module was
# being imported, and while a session or package fixture was being set up.
IMPORT = "import:"
FIXTURE = "fixture:"


@dataclass
class FileOutcome:
    """What one test file did.

    `failed` counts tests (once each) whose setup, call or teardown failed or errored.
    `executed` lists the measured project files that ran lines while this file was collected or
    run, other than while a module was being imported (those run once per process, under a
    label of their own: see `coverage_of`), so it does not depend on the file order.
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
    # the calls by which code it reached ran where coverage's tracer did not (a raw thread,
    # a trace function replaced for a while): block keys fall back to whole files
    bypassed: list[str] = field(default_factory=list)
    # native code among its inputs (a project extension module or library): its file reads
    # raise no event, so no key holds them and the result is never stored
    native: list[str] = field(default_factory=list)
    # project files of the modules the test file's own code imported (not what they imported):
    # where its run-time owners come from, not part of what the file did
    imports: list[str] = field(default_factory=list, compare=False)
    # a verdict that depends on the machine's load, not only on the inputs (a timeout, or a
    # process that ended outside any test file): stored as a load-dependent failure
    transient: bool = False
    retry: int = 0  # the retry this outcome comes from (0: the first run) …
    retries: int = 0  # … of how many were allowed
    # project files of the modules the file's own code imported by name (an import statement
    # or `importlib.import_module` call in the file itself), whatever was loaded before
    direct: list[str] = field(default_factory=list, compare=False)
    # the labels of the session and package fixtures its tests use (`fixture:<id>`)
    fixtures: list[str] = field(default_factory=list, compare=False)

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


def lost(
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


def coverage_of(
    batch: BatchResult, module_path: str, test_files: Iterable[str]
) -> tuple[float, int, int] | None:
    """(percent, covered lines, statements) of module_path by test_files only; None if
    module_path was not measured or has no statements.

    Covered lines are those executed while collecting or running one of test_files
    (`collect:t`, `run:t`), while setting up a session or package fixture one of them uses
    (`fixture:<id>`), outside every test file (context "": conftest and session code, which
    every key holds), or while importing a module one of them loaded (`import:<module>`:
    a module is imported once per process, by whichever test file needs it first, so what its
    import ran counts for every file that used it, as it would alone). Statements outside
    function bodies count from any context once one of test_files used the module (for a module
    imported other than by the import system). Whatever else the batch ran, and in whatever
    order, a verdict depends only on the inputs of its own key. Nothing counts unless one of
    test_files was collected without a problem.
    Percent is rounded to 1 decimal.
    """
    path = Path(module_path).as_posix()
    cov = batch.coverage.get(path)
    if cov is None or not cov.statements:
        return None
    tests = {Path(t).as_posix() for t in test_files}
    valid = [batch.files[t] for t in sorted(tests) if t in batch.files]
    valid = [o for o in valid if o.problem is None]
    covered: set[int] = set()
    if valid:
        own = {f"{phase}:{o.path}" for o in valid for phase in ("collect", "run")}
        own.update(label for o in valid for label in o.fixtures)
        loaded = {p for o in valid for p in o.loaded}
        for label, lines in cov.by_context.items():
            if label == "" or label in own or _imported(label, loaded):
                covered |= lines
        if covered & cov.statements or path in loaded:
            for lines in cov.by_context.values():
                covered |= lines & cov.toplevel
    covered &= cov.statements
    total = len(cov.statements)
    return round(100 * len(covered) / total, 1), len(covered), total


def _imported(label: str, loaded: set[str]) -> bool:
    return label.startswith(IMPORT) and label[len(IMPORT) :] in loaded


def exercised(batch: BatchResult, test: str) -> list[str]:
    """The measured files whose function bodies ``test`` ran itself: lines outside module-level
    code, while it was collected or run (not while a fixture it shares was set up, nor while a
    module was imported, which whichever file came first does). Which other files ran, and in
    which order, does not change it."""
    labels = (f"collect:{test}", f"run:{test}")
    out = []
    for path, cov in batch.coverage.items():
        lines = set().union(*(cov.by_context.get(label, ()) for label in labels))
        if cov.statements and lines - cov.toplevel:
            out.append(path)
    return sorted(out)


def fixture_users(outcomes: Iterable[FileOutcome]) -> dict[str, list[str]]:
    """Fixture label → the test files whose tests use it."""
    users: dict[str, list[str]] = {}
    for outcome in outcomes:
        for label in outcome.fixtures:
            users.setdefault(label, []).append(outcome.path)
    return users


def merged(first: BatchResult, then: BatchResult) -> BatchResult:
    """Two batches as one: their outcomes (``then``'s for a file both ran) and their
    coverage, context by context."""
    coverage = dict(first.coverage)
    for path, cov in then.coverage.items():
        earlier = coverage.get(path)
        if earlier is None:
            coverage[path] = cov
            continue
        contexts = dict(earlier.by_context)
        for label, lines in cov.by_context.items():
            contexts[label] = contexts.get(label, frozenset()) | lines
        coverage[path] = FileCoverage(
            earlier.statements | cov.statements, contexts, earlier.toplevel | cov.toplevel
        )
    return BatchResult({**first.files, **then.files}, coverage, first.shared | then.shared)


def shown(text: str, root: Path) -> str:
    """``text`` (a detail, an error line) with every path of the project named relative to
    ``root`` and the root itself as ".": a detail is the same in every clone. Paths in a
    sandbox's place are made real first (:meth:`~lockgate.execution.sandbox.Place.real`)."""
    for where in dict.fromkeys((str(root), os.path.realpath(root))):
        # the root, then a path below it, or the root alone (not a longer name beside it)
        text = re.sub(re.escape(where) + r"(?:/|(?![\w.-]))", _below, text)
    return text


def _below(match: re.Match[str]) -> str:
    return "" if match.group(0).endswith("/") else "."
