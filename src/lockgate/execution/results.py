"""What a batched test run found: each test file's outcome, the coverage of every measured
file per context, and from those the coverage of a module by given test files."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

MISSING = "no such test file"  # the problem of a requested test file that is not there


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
