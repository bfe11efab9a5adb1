"""The sandbox holds against the project's own locating: environment values that point into the
work tree point into the sandbox, and a write that still reaches the work tree is reported and
not stored."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import Run, git, lockgate, repository_state

ESCAPE_TEST = """\
from pathlib import Path

from locating.store import StoreService

HERE = Path(__file__).resolve().parent.parent


def test_writes_where_a_file_says_the_root_is():
    real = Path((HERE / "real_root.txt").read_text(encoding="utf-8").strip())
    StoreService().save(real / "escaped.db")
    (real / "data" / "README.txt").write_text("changed by a test\\n", encoding="utf-8")
"""


def _env(tmp_path: Path, root: Path | str, **more: str) -> dict[str, str]:
    """The store outside the project; the project's variables pointing at ``root``."""
    return {
        "LOCKGATE_DIR": str(tmp_path / "store"),
        "APP_ROOT": str(root),
        # a search path: the first entry that exists is the project's data folder
        "APP_CACHE_PATH": os.pathsep.join([str(tmp_path / "nowhere"), f"{root}/data"]),
        "APP_BOOT_ROOT": str(root),
        # a URL whose path is the root's, as SQLAlchemy and Django settings take them
        "APP_DATABASE_URL": f"sqlite:///{root}/app.db",
        **more,
    }


def _writes(run: Run) -> dict[tuple[str, str], list[dict[str, Any]]]:
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for w in run.json["summary"]["writes"]:
        out.setdefault((w["path"], w["change"]), []).append(w)
    return out


def _held(run: Run, root: Path, before: dict[str, Any]) -> None:
    """The run passed, left the work tree as it was, and reported the writes in the sandbox."""
    assert run.code == 0, run.stderr
    assert repository_state(root) == before
    assert run.layer("StoreService", "tested")["passed"], run.layer("StoreService", "tested")
    assert all(s["passed"] for s in run.json["suite"]), run.json["suite"]
    writes = _writes(run)
    assert set(writes) == {
        ("data.db", "created"),
        ("data/cache.txt", "created"),
        ("boot.log", "created"),
        ("app.db", "created"),
    }
    assert all(not w["repository"] for ws in writes.values() for w in ws)
    assert "tests/test_store.py" in writes["data.db", "created"][0]["tests"]
    assert "tests/test_cache.py" in writes["data/cache.txt", "created"][0]["tests"]
    # imported by the import worker too, which writes its log in a place of its own
    assert any("locating.boot" in w["tests"] for w in writes["boot.log", "created"])
    assert "in lockgate's sandbox; the repository is unchanged" in run.stderr
    assert "lockgate-run-" not in run.stdout + run.stderr


def test_variables_that_point_into_the_project_point_into_the_sandbox(
    project: Callable[[str], Path], tmp_path: Path
) -> None:
    root = project("locating")
    before = repository_state(root)
    run = lockgate("align", root, "--json", env=_env(tmp_path, root))
    _held(run, root, before)
    # the results were stored: nothing reached the repository
    again = lockgate("align", root, "--json", env=_env(tmp_path, root))
    assert again.code == 0, again.stderr
    assert again.layer("StoreService", "tested")["cached"]
    assert repository_state(root) == before


def test_a_symlinked_path_to_the_root_points_into_the_sandbox_too(
    project: Callable[[str], Path], tmp_path: Path
) -> None:
    root = project("locating")
    link = tmp_path / "elsewhere" / "app"
    link.parent.mkdir()
    link.symlink_to(root, target_is_directory=True)
    before = repository_state(root)
    run = lockgate("align", root, "--json", env=_env(tmp_path, link, PWD=str(link)))
    _held(run, root, before)


def test_a_variable_that_points_at_what_the_sandbox_lacks_keeps_the_real_path(
    project: Callable[[str], Path], tmp_path: Path
) -> None:
    # an ignored folder (a virtual environment, tools) is not copied: a search path into it
    # keeps pointing at it, or the test could no longer find what it runs
    root = project("locating")
    (root / ".gitignore").write_text("*.db\n*.log\ntools/\n", encoding="utf-8")
    git(root, "commit", "-q", "-am", "tools are ignored")
    (root / "tools").mkdir()
    (root / "tools" / "marker.txt").write_text("a tool\n", encoding="utf-8")
    (root / "tests" / "test_tools.py").write_text(
        "import os\n\n\ndef test_finds_its_tools():\n"
        "    assert os.path.isfile(os.environ['APP_TOOLS'] + '/marker.txt')\n",
        encoding="utf-8",
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a tools test")
    before = repository_state(root)
    run = lockgate("align", root, "--json", env=_env(tmp_path, root, APP_TOOLS=f"{root}/tools"))
    assert run.code == 0, run.stderr
    tools = next(s for s in run.json["suite"] if s["file"] == "tests/test_tools.py")
    assert tools["passed"], tools
    assert repository_state(root) == before


def test_a_write_into_the_work_tree_by_its_real_path_is_reported_and_not_stored(
    project: Callable[[str], Path], tmp_path: Path
) -> None:
    root = project("locating")
    # the real root baked into a file at setup, where no variable carries it
    (root / "real_root.txt").write_text(str(root) + "\n", encoding="utf-8")
    (root / "tests" / "test_escape.py").write_text(ESCAPE_TEST, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a test that writes by the real path")
    env = _env(tmp_path, root, LOCKGATE_TEST_REAL_ROOT=str(root))

    run = lockgate("align", root, "--json", env=env)
    assert run.code == 0, run.stderr
    # lockgate does not jail the process: the write happened, and is said
    assert (root / "escaped.db").read_text(encoding="utf-8") == "rows\n"
    writes = _writes(run)
    for key in (("escaped.db", "created"), ("data/README.txt", "modified")):
        assert key in writes, writes
        assert [w["repository"] for w in writes[key]] == [True], writes[key]
    warning = next(line for line in run.stderr.splitlines() if "escaped.db" in line)
    assert warning.startswith("lockgate: warning: ") and "in the repository itself" in warning
    assert "not stored" in warning
    # the writes in the sandbox are still the sandbox's
    assert all(not w["repository"] for w in writes["data.db", "created"])

    # nothing of that run was stored: the next run runs again; rewriting the ignored
    # database that the first run left is a change of the work tree too
    git(root, "checkout", "-q", "--", "data/README.txt")
    again = lockgate("align", root, "--json", env=env)
    assert again.code == 0, again.stderr
    assert not again.layer("StoreService", "tested")["cached"]
    assert again.layer("StoreService", "tested")["reason"] == (
        "the last run did not store its result: the work tree itself changed while its run's "
        "tests and imports ran"
    )
    assert again.json["summary"]["cache"]["hits"] == 0
    assert ("escaped.db", "modified") in _writes(again)
