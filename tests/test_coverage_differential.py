"""A feature's coverage equals what ``pytest --cov`` of its own test files reports for its
module, whatever ran before or after it in the batch (issue 14), on generated projects."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git, lockgate

LATE = '''\
"""Loaded by dotted path at run time, as frameworks load components from settings."""

import os

LIMIT = int(os.environ.get("LATE_LIMIT", "3"))


class LateThing:
    """Three methods, all called by its own tests."""

    def one(self):
        return 1

    def two(self):
        value = 2
        return value

    def three(self):
        return [1, 2, 3][:LIMIT]
'''
LOADER = """\
import importlib


def test_loads_by_dotted_path():
    assert importlib.import_module("app.late").LIMIT == 3
"""


def generate(root: Path, loader: str, calls: list[str]) -> None:
    (root / "src" / "app").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "src" / "app" / "__init__.py").write_text("")
    (root / "src" / "app" / "late.py").write_text(LATE)
    (root / "tests" / loader).write_text(LOADER)
    body = "".join(f"    assert thing.{name}()\n" for name in calls)
    (root / "tests" / "test_late.py").write_text(
        "import importlib\n\n\ndef test_late():\n"
        '    thing = importlib.import_module("app.late").LateThing()\n' + body
    )
    (root / "pyproject.toml").write_text(
        "[tool.lockgate]\n"
        'src = ["src"]\ntests = ["tests"]\ncoverage = 10\n\n'
        '[[tool.lockgate.features]]\nkind = "thing"\npaths = ["src/app"]\nclasses = ["*Thing"]\n'
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "generated")


def pytest_cov_percent(root: Path) -> float:
    """The module's percent as pytest-cov's term report gives it (statements and misses)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--cov=src",
         "--cov-report=term", "tests/test_late.py"],
        cwd=root, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(root / "src")},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    row = re.search(r"^src/app/late\.py\s+(\d+)\s+(\d+)\s+\d+%", proc.stdout, re.M)
    assert row, proc.stdout
    statements, missed = int(row[1]), int(row[2])
    return round(100 * (statements - missed) / statements, 1)


@pytest.mark.parametrize("loader", ["test_a_loader.py", "test_z_loader.py"])  # before, after
@pytest.mark.parametrize("calls", [["one", "two", "three"], ["two"]])
def test_coverage_is_what_pytest_cov_of_its_own_tests_says(
    tmp_path: Path, loader: str, calls: list[str]
) -> None:
    root = tmp_path / "generated"
    generate(root, loader, calls)
    run = lockgate("align", root, "--json")
    assert run.code == 0, run.stderr
    detail = run.layer("LateThing", "tested")["detail"]
    got = re.search(r"(\d+\.\d)% of src/app/late\.py", detail)
    assert got, detail
    assert float(got[1]) == pytest_cov_percent(root), detail
