"""The project's coverage configuration decides which lines count (issue 14)."""

from __future__ import annotations

from pathlib import Path

from conftest import copy_project, git, lockgate


def test_exclude_also_is_honoured_and_keyed(tmp_path: Path) -> None:
    root = copy_project("coverage_config", tmp_path)
    run = lockgate("align", root, "--json")
    assert run.code == 0, run.stderr
    assert run.layer("DumpTool", "tested") == {
        **run.layer("DumpTool", "tested"),
        "passed": True,
        "detail": "1 test, 100.0% of src/app/dump.py",
    }
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('exclude_also = ["def debug_dump"]', ""))
    git(root, "commit", "-qam", "no exclusions")
    again = lockgate("align", root, "--json")
    tested = again.layer("DumpTool", "tested")
    assert tested["cached"] is False and tested["passed"] is False
    assert "covers 66.7% of src/app/dump.py (needs 100%)" in tested["detail"]


def test_a_coveragerc_is_honoured_too(tmp_path: Path) -> None:
    root = copy_project("coverage_config", tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('exclude_also = ["def debug_dump"]', ""))
    (root / ".coveragerc").write_text("[report]\nexclude_also =\n    def debug_dump\n")
    run = lockgate("align", root, "--json")
    assert run.code == 0, run.stderr
    assert run.layer("DumpTool", "tested")["passed"] is True
