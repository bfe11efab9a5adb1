"""The command line itself: version, help, usage errors and their exit codes."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import lockgate

VERSION = importlib.metadata.version("lockgate")


def test_version_with_python_m() -> None:
    run = lockgate("--version")
    assert run.code == 0, run.stderr
    assert VERSION in run.stdout
    assert "lockgate" in run.stdout


def test_version_with_the_console_script() -> None:
    script = Path(sys.executable).parent / "lockgate"
    assert script.is_file(), "the lockgate console script is not installed next to python"
    proc = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert VERSION in proc.stdout


def test_help_lists_align() -> None:
    run = lockgate("--help")
    assert run.code == 0, run.stderr
    assert "Usage:" in run.stdout
    assert "align" in run.stdout


def test_align_help_lists_the_flags() -> None:
    run = lockgate("align", "--help")
    assert run.code == 0, run.stderr
    for flag in ("--json", "--no-cache", "--clear-cache", "--jobs", "--quiet", "--fail-under"):
        assert flag in run.stdout, flag


def test_unknown_command_exits_2() -> None:
    run = lockgate("frobnicate")
    assert run.code == 2
    assert "frobnicate" in run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["align", "--no-such-flag"],
        ["align", "--fail-under", "101"],
        ["align", "--fail-under", "many"],
    ],
    ids=["unknown-flag", "fail-under-out-of-range", "fail-under-not-a-number"],
)
def test_usage_errors_exit_2(project: Any, args: list[str]) -> None:
    root = project("badconfig")
    run = lockgate(*args, cwd=root)
    assert run.code == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    assert not (root / ".lockgate").exists()


def test_missing_path_exits_2(tmp_path: Path) -> None:
    run = lockgate("align", tmp_path / "nowhere", cwd=tmp_path)
    assert run.code == 2
    assert "nowhere" in run.stderr
    assert "Traceback" not in run.stderr


def test_path_argument_equals_working_directory(project: Any, tmp_path: Path) -> None:
    """``lockgate align PATH`` from elsewhere validates PATH (and reports it as the project)."""
    root = project("badconfig")
    run = lockgate("align", "--json", root, cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert Path(run.json["project"]).resolve() == root.resolve()
    assert [f["name"] for f in run.json["features"]] == ["EchoFeature"]
