"""Test discovery as pytest does it (issue 14): the project's ``python_files``, files and globs
in ``tests``, and ``tests_exclude``."""

from __future__ import annotations

from pathlib import Path

from conftest import copy_project, lockgate


def test_test_files_are_found_as_pytest_finds_them(tmp_path: Path) -> None:
    root = copy_project("testfiles", tmp_path)
    run = lockgate("align", root, "--json")
    assert run.code == 0, run.stderr
    for name in ("AlphaPart", "BetaPart", "GammaPart"):
        tested = run.layer(name, "tested")
        assert tested["passed"] is True, (name, tested["detail"])
        assert tested["detail"].startswith("1 test, 100.0%"), (name, tested["detail"])
    files = {entry["file"] for entry in run.json["suite"]}
    assert "tests/test_default_name.py" not in files  # python_files does not match it
    assert "tests/legacy/check_old_alpha.py" not in files  # tests_exclude


def test_python_files_from_pytest_ini_wins(tmp_path: Path) -> None:
    root = copy_project("testfiles", tmp_path)
    (root / "pytest.ini").write_text("[pytest]\npython_files = test_*.py\n")
    run = lockgate("align", root, "--json")
    assert run.code == 0, run.stderr
    assert run.layer("AlphaPart", "tested")["passed"] is False
    suite = {entry["file"]: entry for entry in run.json["suite"]}
    assert suite["tests/test_default_name.py"]["passed"] is False
