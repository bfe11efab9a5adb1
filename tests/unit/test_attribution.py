"""Coverage attribution and run-time owners from a batch's per-context lines: the same lines,
whichever test file happened to import a module first in the process (issue 18)."""

from __future__ import annotations

from lockgate.execution.results import (
    BatchResult,
    FileCoverage,
    FileOutcome,
    coverage_of,
    exercised,
    merged,
)

MODULE = "src/app/plugin.py"
# statements 1-4 run at import (module-level); 5 and 6 are function bodies
STATEMENTS = frozenset(range(1, 7))
TOPLEVEL = frozenset(range(1, 5))


def outcome(path: str, loaded: list[str], fixtures: list[str] | None = None) -> FileOutcome:
    return FileOutcome(path, 1, 0, 0, [], None, 0.1, loaded=loaded, fixtures=fixtures or [])


def batch(contexts: dict[str, frozenset[int]], *outcomes: FileOutcome) -> BatchResult:
    return BatchResult(
        {o.path: o for o in outcomes}, {MODULE: FileCoverage(STATEMENTS, contexts, TOPLEVEL)}
    )


def test_the_import_counts_for_every_test_file_that_loaded_the_module() -> None:
    # a.py imported the module first: its import ran under the module's own label
    contexts = {
        f"import:{MODULE}": frozenset(range(1, 5)),
        "run:tests/test_b.py": frozenset({5, 6}),
    }
    first = batch(
        contexts, outcome("tests/test_a.py", [MODULE]), outcome("tests/test_b.py", [MODULE])
    )
    alone = batch(contexts, outcome("tests/test_b.py", [MODULE]))
    assert coverage_of(first, MODULE, ["tests/test_b.py"]) == (100.0, 6, 6)
    assert coverage_of(alone, MODULE, ["tests/test_b.py"]) == (100.0, 6, 6)


def test_an_import_counts_only_for_the_files_that_loaded_what_was_imported() -> None:
    # another module's import called a function of this one: it counts for its loaders only
    contexts = {
        f"import:{MODULE}": frozenset(range(1, 5)),
        "import:src/app/registry.py": frozenset({5}),
    }
    loads_both = outcome("tests/test_a.py", [MODULE, "src/app/registry.py"])
    loads_one = outcome("tests/test_b.py", [MODULE])
    found = batch(contexts, loads_both, loads_one)
    assert coverage_of(found, MODULE, ["tests/test_a.py"]) == (83.3, 5, 6)
    assert coverage_of(found, MODULE, ["tests/test_b.py"]) == (66.7, 4, 6)


def test_a_shared_fixture_counts_for_every_file_that_uses_it() -> None:
    label = "fixture:tests::app"
    contexts = {label: frozenset({5, 6}), f"import:{MODULE}": TOPLEVEL}
    user = outcome("tests/test_b.py", [MODULE], [label])
    other = outcome("tests/test_c.py", [MODULE])
    found = batch(contexts, user, other)
    assert coverage_of(found, MODULE, ["tests/test_b.py"]) == (100.0, 6, 6)
    assert coverage_of(found, MODULE, ["tests/test_c.py"]) == (66.7, 4, 6)


def test_exercised_counts_function_bodies_a_file_ran_itself() -> None:
    contexts = {
        "collect:tests/test_a.py": frozenset({1, 2}),  # module-level lines: not exercise
        "run:tests/test_b.py": frozenset({5}),
        "fixture:tests::app": frozenset({6}),
        f"import:{MODULE}": TOPLEVEL,
    }
    found = batch(contexts, outcome("tests/test_a.py", []), outcome("tests/test_b.py", []))
    assert exercised(found, "tests/test_a.py") == []
    assert exercised(found, "tests/test_b.py") == [MODULE]


def test_merged_batches_keep_both_runs_lines_per_context() -> None:
    one = batch({"run:tests/test_a.py": frozenset({5})}, outcome("tests/test_a.py", [MODULE]))
    two = batch({"run:tests/test_b.py": frozenset({6})}, outcome("tests/test_b.py", [MODULE]))
    both = merged(one, two)
    assert set(both.files) == {"tests/test_a.py", "tests/test_b.py"}
    assert both.coverage[MODULE].by_context == {
        "run:tests/test_a.py": frozenset({5}),
        "run:tests/test_b.py": frozenset({6}),
    }
