"""Inputs a run depends on without opening them (issue 19): a stored result must not be served
after one of them changed.

Each case is a one-feature project whose test looks at something; the first run stores a
pass, one change makes a fresh run fail, and the incremental `align --json` must then give the
verdicts of `align --json --no-cache`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, git, lockgate

FEATURE = "app.features.widget.WidgetService"

PYPROJECT = """[project]
name = "app"
version = "1.0.0"

[tool.pytest.ini_options]
pythonpath = ["src"]

[tool.lockgate]
coverage = 50
timeout = 30

[[tool.lockgate.features]]
kind = "service"
paths = ["src/app/features"]
classes = ["*Service"]
"""

WIDGET = '''"""A widget."""


class WidgetService:
    """Makes widgets."""

    def make(self) -> str:
        return "widget"
'''

TEST_HEAD = """import glob
import os
from pathlib import Path

from app.features.widget import WidgetService

ROOT = Path(__file__).resolve().parents[1]


def test_widget():
    assert WidgetService().make() == "widget"


"""


@dataclass(frozen=True)
class Case:
    """A test body (appended to the test file), the files it starts with, and the change."""

    test: str
    files: dict[str, str]
    change: Callable[[Path], Any]
    links: dict[str, str] | None = None


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _relink(root: Path, rel: str, target: str) -> None:
    (root / rel).unlink()
    (root / rel).symlink_to(target)


CASES = {
    # 1. looking at a file without opening it
    "exists": Case(
        'def test_not_in_maintenance():\n    assert not os.path.exists(ROOT / "MAINTENANCE")\n',
        {},
        lambda root: _write(root, "MAINTENANCE", ""),
    ),
    "getsize": Case(
        'def test_blob_size():\n    assert os.path.getsize(ROOT / "data" / "blob.bin") == 4\n',
        {"data/blob.bin": "abcd"},
        lambda root: _write(root, "data/blob.bin", "abcde"),
    ),
    "path_stat": Case(
        'def test_blob_size():\n    assert (ROOT / "data" / "blob.bin").stat().st_size == 4\n',
        {"data/blob.bin": "abcd"},
        lambda root: _write(root, "data/blob.bin", "abcdef"),
    ),
    "readlink": Case(
        'def test_current_release():\n    assert os.readlink(ROOT / "current") == "v1.txt"\n',
        {"v1.txt": "same\n", "v2.txt": "same\n"},
        lambda root: _relink(root, "current", "v2.txt"),
        links={"current": "v1.txt"},
    ),
    "isdir": Case(
        'def test_no_overrides():\n    assert not (ROOT / "overrides").is_dir()\n',
        {},
        lambda root: _write(root, "overrides/a.txt", "x\n"),
    ),
    "isfile_absent_folder": Case(
        "def test_no_local_settings():\n"
        '    assert not os.path.isfile(ROOT / "conf" / "local.ini")\n',
        {},
        lambda root: _write(root, "conf/local.ini", "[x]\n"),
    ),
    "literal_glob": Case(
        "def test_no_local_config():\n"
        '    assert glob.glob(str(ROOT / "config.local.toml")) == []\n',
        {},
        lambda root: _write(root, "config.local.toml", "x = 1\n"),
    ),
    "access": Case(
        'def test_not_locked():\n    assert not os.access(ROOT / "run.lock", os.F_OK)\n',
        {},
        lambda root: _write(root, "run.lock", ""),
    ),
}


def one_feature(tmp_path: Path, case: Case) -> Path:
    """The one-feature project of ``case`` as a git repository with one commit."""
    root = tmp_path / "proj"
    _write(root, "pyproject.toml", PYPROJECT)
    _write(root, "src/app/__init__.py", "")
    _write(root, "src/app/features/__init__.py", "")
    _write(root, "src/app/features/widget.py", WIDGET)
    _write(root, "tests/test_widget.py", TEST_HEAD + case.test)
    for rel, text in case.files.items():
        _write(root, rel, text)
    for rel, target in (case.links or {}).items():
        (root / rel).symlink_to(target)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "one feature")
    return root


def align(root: Path, *flags: str) -> Run:
    run = lockgate("align", root, "--json", *flags)
    assert run.code == 0, run.stderr
    return run


def verdicts(run: Run) -> dict[str, tuple[bool, str]]:
    (row,) = run.json["features"]
    return {name: (v["passed"], v["detail"]) for name, v in row["layers"].items()}


def stored_then_changed(tmp_path: Path, case: Case) -> tuple[Run, Run]:
    """Store a pass, make the change; the incremental and the fresh run after it."""
    root = one_feature(tmp_path, case)
    first = align(root)
    assert first.layer(FEATURE, "tested")["passed"] is True, first.layer(FEATURE, "tested")
    case.change(root)
    return align(root), align(root, "--no-cache")


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_change_to_what_a_test_looked_at_reruns_it(tmp_path: Path, name: str) -> None:
    incremental, fresh = stored_then_changed(tmp_path, CASES[name])
    assert fresh.layer(FEATURE, "tested")["passed"] is False  # the change matters
    assert verdicts(incremental) == verdicts(fresh)
    assert incremental.layer(FEATURE, "tested")["cached"] is False


def test_touching_every_file_and_a_checkout_and_back_rerun_nothing(tmp_path: Path) -> None:
    case = Case(
        "def test_looks():\n"
        '    assert os.path.getsize(ROOT / "data" / "blob.bin") == 4\n'
        '    assert not os.path.exists(ROOT / "MAINTENANCE")\n'
        '    assert os.readlink(ROOT / "current") == "v1.txt"\n',
        {"data/blob.bin": "abcd", "v1.txt": "one\n"},
        lambda root: None,
        links={"current": "v1.txt"},
    )
    root = one_feature(tmp_path, case)
    assert align(root).layer(FEATURE, "tested")["passed"] is True
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in (".git", ".lockgate")]
        for name in filenames:
            os.utime(Path(dirpath, name))
    git(root, "checkout", "-q", "-b", "other")
    _write(root, "data/blob.bin", "changed")
    git(root, "commit", "-qam", "other blob")
    git(root, "checkout", "-q", "main")
    again = align(root)
    rerun = {
        name: layer.get("reason")
        for name, layer in again.json["features"][0]["layers"].items()
        if not layer["cached"]
    }
    assert again.json["summary"]["cache"]["misses"] == 0, rerun


# 5. interpreter and machine settings: (test, the environment of the stored run, then of the
# runs after it). Each setting reaches the test processes, which inherit the environment.
SETTINGS = {
    "int_max_str_digits": (
        "def test_big_number():\n    assert len(str(10**5000)) == 5001\n",
        {"PYTHONINTMAXSTRDIGITS": "0"},
        {"PYTHONINTMAXSTRDIGITS": "4300"},
    ),
    "time_zone": (
        "def test_zone():\n"
        "    import time\n\n"
        '    assert time.strftime("%H", time.localtime(0)) == "00"\n',
        {"TZ": "UTC"},
        {"TZ": "Europe/Berlin"},
    ),
    "locale": (
        "def test_time_locale():\n"
        "    import locale\n\n"
        '    assert locale.setlocale(locale.LC_TIME, "") in ("C.UTF-8", "C.utf8")\n',
        {"LC_TIME": "C.UTF-8"},
        {"LC_TIME": "C"},
    ),
}


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_an_interpreter_or_machine_setting_is_in_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    test, before, after = SETTINGS[name]
    for variable in ("LC_ALL", "TZ", "PYTHONINTMAXSTRDIGITS", *before):
        monkeypatch.delenv(variable, raising=False)
    root = one_feature(tmp_path, Case(test, {}, lambda root: None))
    first = lockgate("align", root, "--json", env=before)
    assert first.layer(FEATURE, "tested")["passed"] is True, first.layer(FEATURE, "tested")
    incremental = lockgate("align", root, "--json", env=after)
    fresh = lockgate("align", root, "--json", "--no-cache", env=after)
    assert fresh.layer(FEATURE, "tested")["passed"] is False  # the setting matters
    assert verdicts(incremental) == verdicts(fresh)
    reason = incremental.layer(FEATURE, "tested")["reason"]
    assert next(iter(after)) in reason or "zone" in reason, reason  # `why` names it
