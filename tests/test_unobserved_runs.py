"""What a run does outside the observer's usual view (issue 19, classes 2, 3, 4 and 6): files
C code opens, code the tracer cannot see, paths the kernel resolves otherwise than lexically,
and what Python and pytest put in front of an import. A stored result must not be served after
one of those inputs changed; what stays unobservable is keyed conservatively and said so.

Each class is one project with a feature per case (a test file each): the first run stores a
pass, every case's change is made at once, and the incremental `align --json` must give the
verdicts of `align --json --no-cache`, in which each case's test fails.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, git, lockgate

PYPROJECT = """[project]
name = "app"
version = "1.0.0"

[tool.pytest.ini_options]
pythonpath = ["src"{extra}]

[tool.lockgate]
coverage = 50
timeout = 30
{features}"""

FEATURE = """
[[tool.lockgate.features]]
kind = "service"
paths = ["src/app/features/{name}.py"]
classes = ["{cls}"]
"""

MODULE = '''"""A {name}."""


class {cls}:
    """Makes {name}s."""

    def make(self) -> str:
        return "{name}"
'''

HEAD = """import os
import sqlite3
import ctypes
import threading
import _thread
import sys
from pathlib import Path

from app.features.{name} import {cls}

ROOT = Path(__file__).resolve().parents[1]


def test_{name}():
    assert {cls}().make() == "{name}"


"""

# A body the tests below run; its module-level code never changes, so block keys key on the
# body alone, and only if the run's coverage saw it run.
HELPERS = '''"""Helpers the tests run."""


def compute(out):
    out.append("widget")
'''


@dataclass(frozen=True)
class Case:
    """A test body, how the project starts (``files``, ``setup``) and the change."""

    test: str
    change: Callable[[Path], Any]
    files: dict[str, str] = field(default_factory=dict)
    setup: Callable[[Path], Any] | None = None


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _cls(name: str) -> str:
    return "".join(part.title() for part in name.split("_")) + "Service"


def project(tmp_path: Path, cases: dict[str, Case], extra_path: str = "") -> Path:
    """A project with one feature (and one test file) per case, as a one-commit repository."""
    root = tmp_path / "proj"
    features = "".join(FEATURE.format(name=n, cls=_cls(n)) for n in cases)
    _write(root, "pyproject.toml", PYPROJECT.format(extra=extra_path, features=features))
    _write(root, "src/app/__init__.py", "")
    _write(root, "src/app/features/__init__.py", "")
    _write(root, "src/app/helpers.py", HELPERS)
    for name, case in cases.items():
        _write(root, f"src/app/features/{name}.py", MODULE.format(name=name, cls=_cls(name)))
        _write(root, f"tests/test_{name}.py", HEAD.format(name=name, cls=_cls(name)) + case.test)
        for rel, text in case.files.items():
            _write(root, rel, text)
        if case.setup is not None:
            case.setup(root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "features")
    return root


def align(root: Path, *flags: str, env: dict[str, str] | None = None) -> Run:
    run = lockgate("align", root, "--json", *flags, env=env)
    assert run.code == 0, run.stderr
    return run


def layers_tested(run: Run) -> dict[str, dict[str, Any]]:
    """Case name → its feature's tested layer."""
    return {f["name"].removesuffix("Service"): f["layers"]["tested"] for f in run.json["features"]}


def verdicts(run: Run) -> dict[tuple[str, str], tuple[bool, str]]:
    return {
        (f["name"], layer): (v["passed"], v["detail"])
        for f in run.json["features"]
        for layer, v in f["layers"].items()
    }


def stored_then_changed(root: Path, cases: dict[str, Case]) -> tuple[Run, Run]:
    """Store a pass of every case, make every change; the incremental and the fresh run."""
    first = align(root)
    assert all(t["passed"] for t in layers_tested(first).values()), layers_tested(first)
    for case in cases.values():
        case.change(root)
    return align(root), align(root, "--no-cache")


def assert_fresh_verdicts(cases: dict[str, Case], incremental: Run, fresh: Run) -> None:
    failing = {n for n, t in layers_tested(fresh).items() if not t["passed"]}
    assert failing == {_cls(n).removesuffix("Service") for n in cases}  # each change matters
    assert verdicts(incremental) == verdicts(fresh)


# -- class 2: files opened by C code --------------------------------------------------------


def _database(rel: str, rows: int) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(path) as con:
            con.execute("CREATE TABLE IF NOT EXISTS t (x)")
            con.execute("DELETE FROM t")
            con.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(rows)])
        con.close()

    return make


def _copy(source: str, rel: str) -> Callable[[Path], None]:
    def copy(root: Path) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / rel)

    return copy


def _system_library(name: str) -> str:
    for folder in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib"):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    pytest.skip(f"no {name} on this machine")


SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]
READLINE = Path(getattr(importlib.util.find_spec("readline"), "origin", None) or "/nonexistent")

C_CODE = {
    "fixture_db": Case(
        "def test_one_row():\n"
        '    con = sqlite3.connect(ROOT / "data" / "fixture.db")\n'
        '    assert con.execute("SELECT count(*) FROM t").fetchone() == (1,)\n',
        _database("data/fixture.db", 2),
        setup=_database("data/fixture.db", 1),
    ),
    "read_only_uri": Case(
        "def test_one_row():\n"
        "    con = sqlite3.connect(f\"file:{ROOT / 'data' / 'ro.db'}?mode=ro\", uri=True)\n"
        '    assert con.execute("SELECT count(*) FROM t").fetchone() == (1,)\n',
        _database("data/ro.db", 3),
        setup=_database("data/ro.db", 1),
    ),
}


def test_files_c_code_opens_are_inputs(tmp_path: Path) -> None:
    root = project(tmp_path, C_CODE)
    incremental, fresh = stored_then_changed(root, C_CODE)
    assert_fresh_verdicts(C_CODE, incremental, fresh)
    # unchanged, they are served again: the database is an input like any file
    again = align(root)
    assert all(t["cached"] for t in layers_tested(again).values()), layers_tested(again)


NATIVE = {
    "library": Case(
        "def test_library_has_cos():\n"
        '    assert hasattr(ctypes.CDLL(str(ROOT / "lib" / "libcalc.so")), "cos")\n',
        lambda root: _copy(_system_library("libz.so.1"), "lib/libcalc.so")(root),
        setup=lambda root: _copy(_system_library("libm.so.6"), "lib/libcalc.so")(root),
    ),
    "extension": Case(
        "def test_history_has_one_line():\n"
        "    from app import readline\n\n"
        "    readline.clear_history()\n"
        '    readline.read_history_file(str(ROOT / "data" / "history"))\n'
        "    assert readline.get_current_history_length() == 1\n",
        lambda root: _write(root, "data/history", "one\ntwo\n"),
        files={"data/history": "one\n"},
        setup=_copy(str(READLINE), f"src/app/readline{SUFFIX}"),
    ),
}


@pytest.mark.skipif(not READLINE.exists(), reason="no readline extension module to copy")
def test_project_native_code_is_never_served_from_the_store(tmp_path: Path) -> None:
    root = project(tmp_path, NATIVE)
    incremental, fresh = stored_then_changed(root, NATIVE)
    assert_fresh_verdicts(NATIVE, incremental, fresh)
    # C code of the project may open any file with no event: no result of it is stored, and
    # the reason names the code
    for name, layer in layers_tested(incremental).items():
        assert layer["cached"] is False
        assert "native code" in layer["reason"] and "not store" in layer["reason"], (name, layer)
    assert "lib/libcalc.so" in incremental.stderr, incremental.stderr  # the run's warnings
    assert f"src/app/readline{SUFFIX}" in incremental.stderr, incremental.stderr


# -- class 3: code the tracer cannot see ----------------------------------------------------


UNTRACED = {
    "start_new_thread": (
        "def test_in_a_raw_thread():\n"
        "    from app.helpers import compute\n\n"
        "    out = []\n"
        "    done = _thread.allocate_lock()\n"
        "    done.acquire()\n\n"
        "    def run():\n"
        "        compute(out)\n"
        "        done.release()\n\n"
        "    _thread.start_new_thread(run, ())\n"
        "    done.acquire()\n"
        '    assert out == ["widget"]\n'
    ),
    "thread_trace_hook_removed": (
        "def test_in_an_untraced_thread():\n"
        "    from app.helpers import compute\n\n"
        "    out = []\n"
        "    hook = threading.gettrace()\n"
        "    threading.settrace(None)\n"
        "    try:\n"
        "        thread = threading.Thread(target=compute, args=(out,))\n"
        "        thread.start()\n"
        "        thread.join()\n"
        "    finally:\n"
        "        threading.settrace(hook)  # put back: nothing at the end shows it was gone\n"
        '    assert out == ["widget"]\n'
    ),
    "tracer_removed": (
        "def test_untraced():\n"
        "    from app.helpers import compute\n\n"
        "    out = []\n"
        "    tracer = sys.gettrace()\n"
        "    sys.settrace(None)\n"
        "    try:\n"
        "        compute(out)\n"
        "    finally:\n"
        "        sys.settrace(tracer)\n"
        '    assert out == ["widget"]\n'
    ),
}


@pytest.mark.parametrize("name", sorted(UNTRACED))
def test_code_the_tracer_missed_keys_whole_files(tmp_path: Path, name: str) -> None:
    def edit(root: Path) -> None:
        helpers = root / "src/app/helpers.py"
        helpers.write_text(helpers.read_text().replace('"widget"', '"gadget"'))

    cases = {name: Case(UNTRACED[name], edit)}
    root = project(tmp_path, cases)
    incremental, fresh = stored_then_changed(root, cases)
    assert_fresh_verdicts(cases, incremental, fresh)
    # the run's warnings say the result is keyed on whole files, and because of which call
    call = {"start": "_thread.start_new_thread", "thread": "threading.settrace"}
    warned = [w for w in incremental.stderr.splitlines() if "whole files" in w]
    assert any(call.get(name.partition("_")[0], "sys.settrace") in w for w in warned), warned


# -- class 4: the file the kernel opened ----------------------------------------------------


def _relink(rel: str, target: str) -> Callable[[Path], None]:
    def relink(root: Path) -> None:
        (root / rel).unlink()
        (root / rel).symlink_to(target)

    return relink


def _links(**links: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        for rel, target in links.items():
            (root / rel).symlink_to(target)

    return make


RESOLVED = {
    "dir_fd": Case(
        "def test_value():\n"
        '    folder = os.open(ROOT / "data", os.O_RDONLY)\n'
        '    fd = os.open("value.txt", os.O_RDONLY, dir_fd=folder)\n'
        '    assert os.read(fd, 8) == b"1"\n',
        lambda root: _write(root, "data/value.txt", "2"),
        files={"data/value.txt": "1"},
    ),
    "opener_dir_fd": Case(
        "def test_other():\n"
        '    folder = os.open(ROOT / "data", os.O_RDONLY)\n'
        "    opener = lambda path, flags: os.open(path, flags, dir_fd=folder)\n"
        '    with open("other.txt", opener=opener) as fh:\n'
        '        assert fh.read() == "1"\n',
        lambda root: _write(root, "data/other.txt", "2"),
        files={"data/other.txt": "1"},
    ),
    "dotdot_link": Case(
        "def test_through_link():\n"
        '    with open(f"{ROOT}/linked/../x.txt") as fh:\n'
        '        assert fh.read() == "1"\n',
        lambda root: _write(root, "data/x.txt", "2"),
        files={"data/x.txt": "1", "data/deep/keep": ""},
        setup=_links(linked="data/deep"),
    ),
    "relinked": Case(
        "def test_through_relinked():\n"
        '    with open(f"{ROOT}/link2/../y.txt") as fh:\n'
        '        assert fh.read() == "1"\n',
        _relink("link2", "other/deep"),
        files={"data/y.txt": "1", "data/deep2/keep": "", "other/y.txt": "2", "other/deep/k": ""},
        setup=_links(link2="data/deep2"),
    ),
    "size_dotdot": Case(
        'def test_size():\n    assert os.path.getsize(f"{ROOT}/link3/../z.bin") == 4\n',
        lambda root: _write(root, "data/z.bin", "abcdef"),
        files={"data/z.bin": "abcd", "data/deep3/keep": ""},
        setup=_links(link3="data/deep3"),
    ),
}


def test_the_file_the_kernel_opened_is_the_input(tmp_path: Path) -> None:
    root = project(tmp_path, RESOLVED)
    incremental, fresh = stored_then_changed(root, RESOLVED)
    assert_fresh_verdicts(RESOLVED, incremental, fresh)


# -- class 6: what is put in front of an import, and what runs at interpreter start ---------


IMPORT_PATH = {
    "startup": Case(
        'def test_no_flag():\n    import builtins\n\n    assert not hasattr(builtins, "LG_FLAG")\n',
        lambda root: _write(
            root, "src/sitecustomize.py", "import builtins\nbuiltins.LG_FLAG = 1\n"
        ),
    ),
    "package_made": Case(
        "def test_helper_beside():\n    import beside\n\n    assert beside.VALUE == 1\n",
        lambda root: _write(root, "tests/sub/__init__.py", ""),
        files={"tests/sub/beside.py": "VALUE = 1\n"},
    ),
}


def _move_package_test(root: Path) -> None:
    # the package_made case's test lives in tests/sub, beside the module it imports by the
    # folder pytest's prepend mode puts first on sys.path
    (root / "tests/sub").mkdir(parents=True, exist_ok=True)
    (root / "tests/test_package_made.py").rename(root / "tests/sub/test_package_made.py")


def test_what_is_put_in_front_of_an_import_is_in_the_key(tmp_path: Path) -> None:
    cases = dict(IMPORT_PATH)
    package = cases["package_made"]
    cases["package_made"] = Case(
        package.test, package.change, package.files, setup=_move_package_test
    )
    root = project(tmp_path, cases)
    incremental, fresh = stored_then_changed(root, cases)
    assert_fresh_verdicts(cases, incremental, fresh)


STARTED = {
    # json is imported at interpreter start, before anything is observed, and no test
    # imports it: a project module of that name on the import path replaces it for the whole
    # process (here: lockgate's own child, which then cannot run)
    "shadowed": Case(
        "def test_plain():\n    assert True\n",
        lambda root: _write(root, "src/json.py", "def dumps(value):\n    return 'no'\n"),
    ),
    # a sitecustomize in the project runs at interpreter start: its text is an input
    "startup_edited": Case(
        "def test_level():\n    import builtins\n\n    assert builtins.LG_LEVEL == 0\n",
        lambda root: _write(root, "sitecustomize.py", "import builtins\nbuiltins.LG_LEVEL = 1\n"),
        files={"sitecustomize.py": "import builtins\nbuiltins.LG_LEVEL = 0\n"},
    ),
}


@pytest.mark.parametrize("name", sorted(STARTED))
def test_what_ran_before_the_observer_started_is_in_the_key(tmp_path: Path, name: str) -> None:
    cases = {name: STARTED[name]}
    root = project(tmp_path, cases)
    incremental, fresh = stored_then_changed(root, cases)
    assert_fresh_verdicts(cases, incremental, fresh)
