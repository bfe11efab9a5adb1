"""True verdicts on real test suites (issue 14): every pytest error fails its test file, with
the node id; a file pytest would not collect is no failure; suite results are visible."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Run, copy_project, lockgate


@pytest.fixture(scope="module")
def verdicts_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    from conftest import isolated_env

    with isolated_env(tmp_path_factory):
        root = copy_project("verdicts", tmp_path_factory.mktemp("verdicts"))
        return root, lockgate("align", root, "--json")


def suite(run: Run) -> dict[str, dict[str, Any]]:
    return {entry["file"]: entry for entry in run.json["suite"]}


def test_a_class_collection_error_fails_the_feature(verdicts_run: tuple[Path, Run]) -> None:
    _, run = verdicts_run
    assert run.code == 0, run.stderr
    tested = run.layer("ClassErrorWidget", "tested")
    assert tested["passed"] is False
    assert "tests/test_class_error_widget.py::TestBroken" in tested["detail"]
    assert "nope" in tested["detail"]
    assert run.layer("GoodWidget", "tested")["passed"] is True


def test_suite_entries_carry_the_contract_fields(verdicts_run: tuple[Path, Run]) -> None:
    _, run = verdicts_run
    entries = run.json["suite"]
    assert sorted(e["file"] for e in entries) == [
        "tests/test_all_skipped.py",
        "tests/test_fixture_error.py",
        "tests/test_ignored.py",
        "tests/test_plain.py",
        "tests/test_teardown_error.py",
        "tests/test_warning_error.py",
    ]
    for entry in entries:
        assert set(entry) == {"file", "passed", "cached", "detail", "seconds"}
        assert entry["cached"] is False
        assert isinstance(entry["seconds"], int | float) and entry["seconds"] >= 0


@pytest.mark.parametrize(
    ("file", "node", "words"),
    [
        ("tests/test_fixture_error.py", "tests/test_fixture_error.py::test_setup", "1 of 2"),
        ("tests/test_teardown_error.py", "tests/test_teardown_error.py::test_teardown", "1 of 1"),
        (
            "tests/test_warning_error.py",
            "tests/test_warning_error.py::TestWithInit",
            "PytestCollectionWarning",
        ),
    ],
)
def test_every_pytest_error_fails_its_test_file(
    verdicts_run: tuple[Path, Run], file: str, node: str, words: str
) -> None:
    entry = suite(verdicts_run[1])[file]
    assert entry["passed"] is False
    assert node in entry["detail"] and words in entry["detail"]


@pytest.mark.parametrize("file", ["tests/test_ignored.py", "tests/test_all_skipped.py"])
def test_a_file_pytest_would_not_run_is_no_failure(
    verdicts_run: tuple[Path, Run], file: str
) -> None:
    entry = suite(verdicts_run[1])[file]
    assert entry["passed"] is True, entry["detail"]
    assert "no test ran" in entry["detail"]
    assert suite(verdicts_run[1])["tests/test_plain.py"] == {
        **suite(verdicts_run[1])["tests/test_plain.py"],
        "passed": True,
        "detail": "1 test",
    }


def test_the_table_lists_failing_suite_files_and_folds_the_rest(tmp_path: Path) -> None:
    root = copy_project("verdicts", tmp_path)
    run = lockgate("align", root)
    assert run.code == 0, run.stderr
    lines = [line for line in run.stdout.splitlines() if "tests/test_" in line]
    failing = [line for line in lines if "test_fixture_error.py" in line]
    assert failing and "test_setup" in " ".join(run.stdout.split())
    assert not any("test_plain.py" in line for line in lines)
    assert "6 other test files: 3 pass, 3 fail" in " ".join(run.stdout.split())
    why = lockgate("why", "tests/test_fixture_error.py", root)
    assert why.code == 0, why.stderr
    assert "tests/test_fixture_error.py" in why.stdout


def test_the_html_report_lists_the_suite(tmp_path: Path) -> None:
    root = copy_project("verdicts", tmp_path)
    page = tmp_path / "report.html"
    run = lockgate("report", "--html", page, root)
    assert run.code == 0, run.stderr
    html = page.read_text(encoding="utf-8")
    assert 'id="suite"' in html
    assert "tests/test_fixture_error.py" in html and "tests/test_plain.py" in html
    assert "3 of 6 pass" in html
