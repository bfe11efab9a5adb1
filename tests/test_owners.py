"""Declared ownership and per-file time limits (issue 14)."""

from __future__ import annotations

from pathlib import Path

from conftest import copy_project, lockgate


def test_owners_and_timeouts(tmp_path: Path) -> None:
    root = copy_project("owners", tmp_path)
    run = lockgate("align", root, "--json")
    assert run.code == 0, run.stderr
    for name, module in (("LogExt", "logext"), ("PlugExt", "plugext")):
        tested = run.layer(name, "tested")
        assert tested["passed"] is True, tested["detail"]
        assert tested["detail"] == f"1 test, 100.0% of src/app/{module}.py"
    assert run.json["suite"] == []  # both test files belong to the features they own
    slow = run.layer("SlowExt", "tested")
    assert slow["passed"] is False
    assert "tests/test_slowext.py: timed out after 1s" in slow["detail"]


def test_an_owner_file_that_does_not_exist_fails_closed(tmp_path: Path) -> None:
    root = copy_project("owners", tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('["tests/test_flow.py"]', '["tests/gone.py"]')
    )
    run = lockgate("align", root, "--json")
    assert run.code == 0, run.stderr
    tested = run.layer("LogExt", "tested")
    assert tested["passed"] is False
    assert "tests/gone.py: no such test file" in tested["detail"]
