"""Batched pytest runs under coverage in child processes: real pytest, coverage and crashes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lockgate.execution.results import BatchResult, FileOutcome, coverage_of
from lockgate.execution.testrun import run_batch

PROJECTS = Path(__file__).parent / "projects"
BASIC_FILES = [
    "tests/test_a.py",
    "tests/test_b.py",
    "tests/test_fail.py",
    "tests/test_broken.py",
    "tests/test_empty.py",
    "tests/test_missing.py",
]


def copy_project(name: str, dest: Path) -> Path:
    root = dest / name
    shutil.copytree(PROJECTS / name, root)
    return root


def listing(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def run(
    root: Path, files: list[str], timeout: float = 20, jobs: int = 1
) -> tuple[BatchResult, list[str]]:
    done: list[str] = []
    # one file per process, so that jobs=2 really splits these few files over two children
    batch = run_batch(
        root,
        files,
        ["src"],
        [str(root / "src"), str(root)],
        timeout,
        jobs,
        on_file_done=done.append,
        files_per_process=1,
    )
    return batch, done


def verdicts(batch: BatchResult) -> dict[str, tuple[object, ...]]:
    # `executed` is left out on purpose: a module's import runs once, under whichever test file
    # imports it first, so that list may follow the file order (documented on FileOutcome).
    return {
        name: (o.passed, o.failed, o.skipped, o.failures, o.problem, o.ok)
        for name, o in batch.files.items()
    }


@pytest.fixture(scope="module")
def basic(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[str], BatchResult, list[str]]:
    root = copy_project("testrun_basic", tmp_path_factory.mktemp("basic"))
    before = listing(root)
    batch, done = run(root, BASIC_FILES)
    return root, before, batch, done


def test_outcomes_per_file(basic: tuple[Path, list[str], BatchResult, list[str]]) -> None:
    _, _, batch, done = basic
    files = batch.files
    assert list(files) == BASIC_FILES
    assert sorted(done) == sorted(BASIC_FILES)  # each file reported exactly once
    # test_a uses a marker only the project's own pytest configuration declares (strict markers)
    test_a = files["tests/test_a.py"]
    assert test_a == FileOutcome(
        "tests/test_a.py",
        1,
        0,
        0,
        [],
        None,
        test_a.seconds,
        # what its own code ran: a module's import runs under a label of its own
        ["src/pkg/a.py"],
        # what the process observed: the files it imported, its conftest and itself …
        loaded=["src/pkg/__init__.py", "src/pkg/a.py", "tests/conftest.py", "tests/test_a.py"],
        probes=test_a.probes,
        # read as text, not only run: pytest rewrites the asserts of test files and conftests
        data=["tests/conftest.py", "tests/test_a.py"],
        traced=True,  # coverage's trace function stayed in place
    )
    # … and where a file created later would change what `import pkg.a` finds
    assert any("src/pkg/a/__init__.py" in probe for probe in test_a.probes)
    assert files["tests/test_a.py"].ok
    assert files["tests/test_b.py"].passed == 2 and files["tests/test_b.py"].ok
    failing = files["tests/test_fail.py"]
    assert (failing.passed, failing.failed, failing.skipped) == (1, 2, 1)
    assert failing.failures == [
        "tests/test_fail.py::test_fails",
        "tests/test_fail.py::test_setup_error",
    ]
    assert failing.problem is None and not failing.ok


def test_collection_error_and_empty_files(
    basic: tuple[Path, list[str], BatchResult, list[str]],
) -> None:
    files = basic[2].files
    broken = files["tests/test_broken.py"]
    assert broken.problem == "collection error: ModuleNotFoundError: No module named 'nope'"
    assert not broken.ok
    empty = files["tests/test_empty.py"]
    assert (empty.passed, empty.failed, empty.problem) == (0, 0, None)
    assert not empty.ok  # no test collected proves nothing
    assert files["tests/test_missing.py"].problem == "no such test file"


def test_coverage_is_attributed_to_each_file_own_tests(
    basic: tuple[Path, list[str], BatchResult, list[str]],
) -> None:
    batch = basic[2]
    # a.py: 5 statements; test_b alone runs the body of used_by_b_only (2 lines)
    assert coverage_of(batch, "src/pkg/a.py", ["tests/test_a.py"]) == (60.0, 3, 5)
    # test_a imported a.py first, yet test_b still gets the import-time `def` lines
    assert coverage_of(batch, "src/pkg/a.py", ["tests/test_b.py"]) == (100.0, 5, 5)
    # test_a never imports b.py: b's import-time lines, run under test_b, are not test_a's
    # (alone, `pytest --cov tests/test_a.py` measures b.py at 0%)
    assert coverage_of(batch, "src/pkg/b.py", ["tests/test_a.py"]) == (0.0, 0, 3)
    assert coverage_of(batch, "src/pkg/b.py", ["tests/test_b.py"]) == (100.0, 3, 3)
    # tests that failed to collect or do not exist cover nothing
    assert coverage_of(batch, "src/pkg/a.py", ["tests/test_broken.py"]) == (0.0, 0, 5)
    assert coverage_of(batch, "src/pkg/a.py", ["tests/test_nope.py"]) == (0.0, 0, 5)
    # a module no test imports is measured at 0%; one outside the source roots is not measured
    assert coverage_of(batch, "src/pkg/unused.py", ["tests/test_a.py"]) == (0.0, 0, 2)
    assert coverage_of(batch, "tests/test_a.py", ["tests/test_a.py"]) is None


def test_nothing_is_written_into_the_project(
    basic: tuple[Path, list[str], BatchResult, list[str]],
) -> None:
    root, before, _, _ = basic
    assert listing(root) == before


def test_jobs_give_the_same_results(
    basic: tuple[Path, list[str], BatchResult, list[str]],
) -> None:
    root, _, one, _ = basic
    # reversed order: with two children, test_b now imports a.py before test_a does
    two, done = run(root, BASIC_FILES[::-1], jobs=2)
    assert sorted(done) == sorted(BASIC_FILES)
    assert verdicts(two) == {name: verdicts(one)[name] for name in BASIC_FILES[::-1]}
    modules = ["src/pkg/a.py", "src/pkg/b.py", "src/pkg/unused.py"]
    for module in modules:
        assert two.coverage[module].statements == one.coverage[module].statements
        for test in BASIC_FILES:
            assert coverage_of(two, module, [test]) == coverage_of(one, module, [test])


def test_crashing_test_files_do_not_cost_others_their_results(tmp_path: Path) -> None:
    root = copy_project("testrun_crash", tmp_path)
    before = listing(root)
    files = ["tests/test_dies.py", "tests/test_exit.py", "tests/test_ok.py", "tests/test_segv.py"]
    batch, done = run(root, files)
    assert sorted(done) == files
    outcome = batch.files
    assert outcome["tests/test_exit.py"].problem == (
        "killed the test process at import (exit code 3)"
    )
    assert outcome["tests/test_segv.py"].problem == (
        "killed the test process at import (signal SIGSEGV)"
    )
    dies = outcome["tests/test_dies.py"]
    assert dies.problem == "killed the test process (exit code 5)"
    assert dies.failures == ["tests/test_dies.py::test_exits"] and not dies.ok
    ok = outcome["tests/test_ok.py"]
    assert ok.ok and ok.passed == 1 and ok.executed == ["src/mod.py"]
    assert coverage_of(batch, "src/mod.py", ["tests/test_ok.py"]) == (100.0, 2, 2)
    assert listing(root) == before


def test_hanging_test_times_out(tmp_path: Path) -> None:
    root = copy_project("testrun_crash", tmp_path)
    batch, _ = run(root, ["tests/test_hang.py", "tests/test_ok.py"], timeout=3)
    hang = batch.files["tests/test_hang.py"]
    assert hang.problem == "timed out after 3s"
    assert hang.failures == ["tests/test_hang.py::test_hangs"]
    assert 3 <= hang.seconds < 10
    assert batch.files["tests/test_ok.py"].ok
    assert coverage_of(batch, "src/mod.py", ["tests/test_ok.py"]) == (100.0, 2, 2)


def test_crash_outside_any_test_file_fails_the_batch_once(tmp_path: Path) -> None:
    root = copy_project("testrun_crash", tmp_path)
    (root / "tests" / "conftest.py").write_text("import os\nos._exit(7)\n")
    batch, done = run(root, ["tests/test_ok.py"])
    assert done == ["tests/test_ok.py"]
    problem = batch.files["tests/test_ok.py"].problem
    assert problem is not None
    assert problem.startswith("the test process ended without a result (exit code 7)")
