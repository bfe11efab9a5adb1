"""Nothing is left behind: processes lockgate started (and theirs) and its temporary folders.

Real lockgate runs on the `leftovers` scenario, ended by a signal, SIGKILL or their own end.
Processes are found by scanning /proc for the scenario's marker in their argv, and for
`_pytest_child` processes whose spec lies in the run's own $TMPDIR.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import git, lockgate

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/cmdline").exists(), reason="finds processes through /proc"
)


def processes(needle: str) -> dict[int, str]:
    """pid -> command line of the live processes (zombies have none) that contain needle."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path("/proc", entry, "cmdline").read_bytes()
        except OSError:
            continue
        if needle.encode() in cmdline:
            found[int(entry)] = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
    return found


def inheriting(variable: str) -> list[int]:
    """The processes whose environment holds variable (NAME=value): all a scenario started."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            environ = Path("/proc", entry, "environ").read_bytes()
        except OSError:
            continue
        if variable.encode() in environ.split(b"\0"):
            found.append(int(entry))
    return found


def alive(needle: str) -> list[str]:
    """The command lines of live processes that contain needle."""
    return list(processes(needle).values())


# lockgate keeps a stop signal its caller ignores ignored (nohup ignores SIGHUP; a background job
# of a non-interactive shell, as a CI script's, ignores SIGINT), and ignored dispositions survive
# exec: started from such a test run, lockgate shrugged off the SIGINT and SIGHUP of these tests
# and ran on. So it starts here as from a terminal, the stop signals at their defaults, whatever
# this process inherited; then it execs lockgate itself, in the same process.
_AS_FROM_A_TERMINAL = (
    "import os, signal, sys\n"
    "for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):\n"
    "    signal.signal(number, signal.SIG_DFL)\n"
    "os.execv(sys.executable, sys.argv[1:])\n"
)

_ALIGN = (sys.executable, "-m", "lockgate", "align", "--json", "--jobs", "2")


def wait_for(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


class Scenario:
    """The leftovers project, a unique marker and a $TMPDIR of its own for lockgate."""

    def __init__(self, root: Path, tmp: Path, hang: bool) -> None:
        self.root, self.tmp = root, tmp
        self.mark = f"leftover-{uuid.uuid4().hex}"
        self.env = {**os.environ, "TMPDIR": str(tmp), "LEFTOVER_MARK": self.mark}
        if hang:
            self.env["LEFTOVER_HANG"] = "1"
        self.started: list[subprocess.Popen[str]] = []

    def start(self) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-c", _AS_FROM_A_TERMINAL, *_ALIGN],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.started.append(proc)
        return proc

    def sleepers(self, kind: str = "") -> list[str]:
        return alive(f"{self.mark}-{kind}")

    def leftovers(self) -> list[str]:
        """Every process of the scenario still alive, and every entry of its $TMPDIR."""
        return [
            *self.sleepers(),
            *alive(f"lockgate.execution.child.pytest_child {self.tmp}"),
            *(p.name for p in self.tmp.iterdir()),
        ]

    def nothing_left(self) -> None:
        # SIGKILL is delivered at once, but a process may take a moment to be gone
        deadline = time.monotonic() + 10
        while (left := self.leftovers()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert left == []


@pytest.fixture
def scenario(project: Any, tmp_path: Path) -> Iterator[Callable[..., Scenario]]:
    made: list[Scenario] = []

    def make(
        hang: bool = True, timeout: int | None = None, hang_limit: int | None = None
    ) -> Scenario:
        root = project("leftovers")
        config = root / "pyproject.toml"
        if timeout is not None:
            config.write_text(config.read_text().replace("timeout = 60", f"timeout = {timeout}"))
            git(root, "commit", "-qam", "shorter timeout")
        if hang_limit is not None:
            # the hanging test's own limit: the stuck import starts once a job is free, and only
            # after that test timed out (the sleepers it started at collection stay behind)
            timeouts = f'\n[tool.lockgate.timeouts]\n"tests/test_spawner.py" = {hang_limit}\n'
            config.write_text(config.read_text() + timeouts)
            git(root, "commit", "-qam", "the hanging test times out sooner")
        tmp = tmp_path / "tmp"
        tmp.mkdir()
        made.append(Scenario(root, tmp, hang))
        return made[-1]

    yield make
    for s in made:  # whatever happened, leave none of this test's processes behind
        for pid in inheriting(f"LEFTOVER_MARK={s.mark}"):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        # nor a lockgate unreaped with its pipes open: a test that failed while lockgate ran
        # left them to the garbage collector, whose ResourceWarnings pytest then pinned on
        # whichever later test of the worker was running (a deploy test failed so in CI)
        for proc in s.started:
            proc.kill()
            proc.communicate(timeout=60)


def hanging(s: Scenario) -> subprocess.Popen[str]:
    """A run whose test hung and whose stuck import hangs, both with sleepers started (the
    import's job is free once the hanging test timed out: ``hang_limit`` spares the wait)."""
    proc = s.start()
    wait_for(
        lambda: bool(s.sleepers("pytest-escaped") and s.sleepers("stuck-escaped")),
        120,
        "the test and the import to start their processes",
    )
    assert proc.poll() is None
    # workers and tests start at once, from two threads: still one run folder for all
    assert [p.name.startswith("lockgate-run-") for p in s.tmp.iterdir()] == [True]
    return proc


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)],
    ids=["SIGTERM", "SIGINT", "SIGHUP"],
)
def test_a_signal_ends_every_process_and_removes_the_temporary_folders(
    scenario: Callable[..., Scenario], signum: int, code: int
) -> None:
    s = scenario(hang_limit=5)
    proc = hanging(s)
    # another run meanwhile sweeps only what dead runs left: this one's folder and processes stay
    assert lockgate("--version", env=s.env).code == 0
    assert [p.name for p in s.tmp.iterdir()]
    assert s.sleepers("pytest-escaped")
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert f"lockgate: interrupted ({signal.Signals(signum).name})" in err
    assert "Traceback" not in err
    s.nothing_left()


def test_the_next_run_cleans_what_a_sigkilled_run_left(
    scenario: Callable[..., Scenario],
) -> None:
    s = scenario(hang_limit=5)
    proc = hanging(s)
    proc.kill()  # lockgate alone, not its process group
    proc.communicate(timeout=60)
    run = lockgate("--version", env=s.env)
    assert run.code == 0, run.stderr
    s.nothing_left()


def test_a_normal_end_leaves_nothing_and_timeouts_take_their_process_group(
    scenario: Callable[..., Scenario],
) -> None:
    s = scenario(timeout=2)
    proc = s.start()
    # The hanging test and then the stuck import are killed after 2 s: the sleepers in their
    # process groups must go with them, then and there, not at lockgate's end, whose cleanup
    # kills every sleeper. Sampling the sleepers while lockgate ran raced its end (the stuck
    # import's is the last thing it waits for): under load the test looked too late. Instead
    # lockgate is frozen once the stuck import has started its sleepers (the escaped one lives
    # until lockgate's end, so this cannot be missed); the import worker, which enforces the
    # import's timeout, is not. While lockgate is frozen its end cannot come: a grouped sleeper
    # gone beside its escaped one, still alive, went with its process group.
    wait_for(lambda: bool(s.sleepers("stuck-escaped")), 120, "the stuck import to start")
    proc.send_signal(signal.SIGSTOP)
    try:
        wait_for(lambda: not s.sleepers("stuck-grouped"), 120, "the stuck import's group to go")
        for where in ("pytest", "stuck"):
            assert s.sleepers(f"{where}-escaped"), where  # lockgate's end did not come yet
            assert not s.sleepers(f"{where}-grouped"), where
    finally:
        proc.send_signal(signal.SIGCONT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    s.nothing_left()
    run = lockgate("--version", env=s.env)  # nothing was left for the next run to do
    assert run.code == 0


def test_a_module_that_starts_processes_at_import_leaks_none(
    scenario: Callable[..., Scenario],
) -> None:
    s = scenario(hang=False, timeout=2)
    run = lockgate("align", "--json", cwd=s.root, env=s.env)
    assert run.code == 0, run.stderr
    assert run.layer("SpawnerService", "imported")["passed"]
    assert run.layer("SpawnerService", "tested")["passed"]
    assert "timed out" in run.layer("StuckService", "imported")["detail"]
    s.nothing_left()
