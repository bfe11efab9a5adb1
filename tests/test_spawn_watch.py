"""Block keys stay on when a process a test starts reads nothing of the project (issue 21).

The `spawnwatch` scenario's root conftest runs `true` at import and one test runs `uname`:
neither reads the project, so an edit of a helper body no test runs re-runs nothing. A process
that reads the project (`python -c "import kit.child"`, `cat` of a data file) or writes it
(`rm`, which opens nothing) keeps its test process's files keyed whole, and says so.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from conftest import Run, copy_project, lockgate

HELPER = "src/kit/helper.py"


def _align(root: Path, *flags: str) -> Run:
    run = lockgate("align", root, "--json", "--quiet", *flags)
    assert run.code in (0, 1), run.stderr
    return run


def verdicts(run: Run) -> dict[str, tuple[bool, str]]:
    return {
        f["name"]: (f["layers"]["tested"]["passed"], f["layers"]["tested"]["detail"])
        for f in run.json["features"]
    }


def rerun(run: Run) -> set[str]:
    """The features whose tested result was not served from the store."""
    return {f["name"] for f in run.json["features"] if not f["layers"]["tested"]["cached"]}


def whole(run: Run) -> list[str]:
    """The run's warnings that results were keyed on whole files."""
    return [w for w in run.stderr.splitlines() if "whole files" in w]


def replace(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, f"{rel} has no {old!r}"
    path.write_text(text.replace(old, new, 1))


def test_a_process_that_reads_nothing_of_the_project_keeps_block_keys(tmp_path: Path) -> None:
    root = copy_project("spawnwatch", tmp_path)
    first = _align(root)
    assert rerun(first) == {"UseService", "UnameService"}
    assert all(ok for ok, _ in verdicts(first).values()), verdicts(first)
    assert whole(first) == [], first.stderr  # no fallback to whole files, so no warning

    replace(root, HELPER, '"nobody calls this"', '"still nobody"')
    edited = _align(root)
    assert rerun(edited) == set(), "block keys switched off"
    assert whole(edited) == []


# Each: a feature module and its test, whose process reads or writes the project.
SPAWNS = {
    "python": (
        "sub",
        '''import os
import subprocess
import sys


class SubService:
    """Asks a process of its own for kit.child.f()."""

    def run(self):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        code = "import kit.child; print(kit.child.f())"
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()
''',
        """import kit.child  # loaded here; f runs only in the process the service starts
from kit import helper
from kit.features.sub import SubService


def test_sub():
    assert SubService().run() == "1"
""",
    ),
    "cat": (
        "cat",
        '''import os
import subprocess

VALUES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "values.txt")


class CatService:
    """Reads the values through cat."""

    def run(self):
        return subprocess.run(["cat", VALUES], capture_output=True, text=True).stdout.strip()
''',
        """from kit import helper
from kit.features.cat import CatService


def test_cat():
    assert CatService().run() == "1"
""",
    ),
    "rm": (
        "rm",
        '''import os
import subprocess

SCRATCH = os.path.join(os.path.dirname(os.path.dirname(__file__)), "scratch.txt")


class RmService:
    """Removes the scratch file with rm, which opens nothing of the project: a write only."""

    def run(self):
        return subprocess.run(["rm", SCRATCH]).returncode
''',
        """from kit import helper
from kit.features.rm import RmService


def test_rm():
    assert RmService().run() == 0
""",
    ),
}


@pytest.mark.parametrize("kind", sorted(SPAWNS))
def test_a_process_that_reads_or_writes_the_project_keys_whole_files(
    tmp_path: Path, kind: str
) -> None:
    name, module, test = SPAWNS[kind]
    root = copy_project("spawnwatch", tmp_path, commit=False)
    (root / f"src/kit/features/{name}.py").write_text(module)
    (root / f"tests/test_{name}.py").write_text(test)
    service = f"{name.capitalize()}Service"
    program = {"python": Path(sys.executable).name}.get(kind, kind)
    first = _align(root)
    assert all(ok for ok, _ in verdicts(first).values()), verdicts(first)
    # once per process, naming the program and the file that started it, and what the watch
    # saw; it cannot tell which process did that, so the conftest's `true` counts too
    why = {
        "cat": re.escape("src/kit/values.txt was opened 1 times, 0 by the test process"),
        "rm": re.escape("src/kit/scratch.txt was changed by another process than the test process"),
    }.get(kind, r"\S+ was opened \d+ times, \d+ by the test process")
    also = re.escape(", and a started process may have read or written the project (") + why
    results = f"kit.features.{name}.{service} (tested), kit.features.uname.UnameService (tested)"
    expected = [
        (
            f"lockgate: warning: kit.features.{name}.{service} (tested): keyed on whole files, "
            "not on the function bodies it ran: code ran where coverage's tracer could not see it "
            f"(started a process: {program} (src/kit/features/{name}.py)"
        ),
        (
            f"lockgate: warning: 3 results ({results}, kit.features.use.UseService (tested)): "
            "keyed on whole files, not on the function bodies they ran: code ran where coverage's "
            "tracer could not see it (started a process: true (tests/conftest.py)"
        ),
        (
            "lockgate: warning: kit.features.uname.UnameService (tested): keyed on whole files, "
            "not on the function bodies it ran: code ran where coverage's tracer could not see it "
            "(started a process: uname (src/kit/features/uname.py)"
        ),
    ]
    said = whole(first)
    assert len(said) == len(expected), said
    for line, start in zip(said, expected, strict=True):
        assert re.fullmatch(re.escape(start) + also + r"\)\)", line), (line, start)
    replace(root, HELPER, '"nobody calls this"', '"still nobody"')
    # the process may have read anything: every file of its test process is keyed whole
    assert rerun(_align(root)) == {service, "UseService", "UnameService"}
    if kind == "python":
        # f ran only in the started process: its edit re-runs (and fails) the test
        replace(root, "src/kit/child.py", "return 1", "return 2")
        incremental = _align(root)
        assert service in rerun(incremental)
        fresh = _align(root, "--no-cache")
        assert verdicts(incremental) == verdicts(fresh)
        assert not verdicts(fresh)[service][0]
