"""``--shard auto``: CI jobs of one run claim work from a queue in a real ``redis-server`` on
127.0.0.1. Each job runs in a clone of its own, as CI matrix jobs do."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_project, git, isolated_env, lockgate
from test_remote import Server, start_server

SECRET = "a-shared-secret-of-the-ci-and-its-jobs"
ALL = 19  # results of the basic project: 3 features x 6 layers and one suite file


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with isolated_env(tmp_path_factory):
        started = start_server(tmp_path_factory.mktemp("redis"))
        try:
            yield started
        finally:
            started.stop()


def clones(root: Path, where: Path, count: int) -> list[Path]:
    out = []
    for n in range(count):
        dest = where / f"job{n}" / "checkout"
        dest.parent.mkdir(parents=True)
        git(where, "clone", "-q", str(root), str(dest))
        out.append(dest)
    return out


def job(root: Path, url: str, run: str, lease: str = "60") -> subprocess.Popen[str]:
    """One CI job, started in a session of its own (so it dies with its children), whose
    claims last ``lease`` seconds unless renewed."""
    args = ["align", str(root), "--json", "-q", "--shard", "auto", "--run-id", run]
    return subprocess.Popen(
        [sys.executable, "-m", "lockgate", *args, "--remote", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={
            **os.environ,
            "LOCKGATE_REMOTE_KEY": SECRET,
            "LOCKGATE_SHARD_LEASE": lease,
            "LOCKGATE_SHARD_BATCH": "0",
        },  # one group a batch: the jobs share a small project,
    )


def finished(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return dict(json.loads(out))


def units(result: dict[str, Any]) -> set[str]:
    return {f["id"] for f in result["features"]} | {s["file"] for s in result["suite"]}


def final_align(root: Path, url: str) -> dict[str, Any]:
    run = lockgate(
        "align", root, "--json", "-q", "--remote", url, env={"LOCKGATE_REMOTE_KEY": SECRET}
    )
    assert run.code == 0, run.stderr
    return run.json


def test_three_jobs_validate_every_unit_once_and_the_final_align_reuses_all(
    server: Server, tmp_path: Path
) -> None:
    root = copy_project("basic", tmp_path / "origin")
    *jobs, last = clones(root, tmp_path, 4)
    url = server.url(db=1)
    results = [finished(p) for p in [job(r, url, "run-1") for r in jobs]]
    assert all(r["summary"]["shard"] == {"auto": True, "run_id": "run-1"} for r in results)
    mine = [units(r) for r in results]
    assert sum(map(len, mine)) == len(set().union(*mine)), "a unit ran in two jobs"
    assert sum(r["summary"]["cache"]["misses"] for r in results) == ALL
    whole = final_align(last, url)
    assert units(whole) == set().union(*mine)
    assert whole["summary"]["cache"]["misses"] == 0
    assert whole["summary"]["cache"]["remote_hits"] == ALL


BLOCKING = """\
import os
import pathlib
import time

GATE = pathlib.Path({gate!r})


def test_waits_for_the_gate():
    (GATE / "started").write_text(str(os.getpid()))
    while not (GATE / "open").exists():
        time.sleep(0.05)
"""


def test_a_killed_job_loses_only_what_it_held(server: Server, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    gate.mkdir()
    root = copy_project("basic", tmp_path / "origin", commit=False)
    (root / "tests" / "test_gate.py").write_text(BLOCKING.format(gate=str(gate)))
    config = root / "pyproject.toml"  # no test file runs before the groups are claimed
    config.write_text(
        config.read_text().replace("[tool.lockgate]\n", '[tool.lockgate]\ntest_owners = "tree"\n')
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    *roots, last = clones(root, tmp_path, 3)
    url = server.url(db=2)
    jobs = [job(r, url, "run-2", lease="3") for r in roots]
    started = gate / "started"
    # the group of the gate's test is claimed and running (its pid written whole)
    while not (started.exists() and started.read_text().isdigit()):
        assert all(p.poll() is None for p in jobs), [p.communicate() for p in jobs]
        time.sleep(0.05)  # polling for the file, not waiting for a time
    holder = _job_of(int(started.read_text()), jobs)
    os.killpg(holder.pid, signal.SIGKILL)
    holder.communicate(timeout=30)  # closes its pipes
    (gate / "open").touch()
    [survivor] = [p for p in jobs if p is not holder]
    result = finished(survivor)
    assert "tests/test_gate.py" in units(result), "the survivor took the killed job's group"
    whole = final_align(last, url)
    assert whole["summary"]["cache"]["misses"] == 0


def _job_of(pid: int, jobs: list[subprocess.Popen[str]]) -> subprocess.Popen[str]:
    """The job whose process (or a descendant of it) ``pid`` is."""
    by_pid = {p.pid: p for p in jobs}
    while pid > 1:
        if pid in by_pid:
            return by_pid[pid]
        stat = Path(f"/proc/{pid}/stat").read_text()
        pid = int(stat.rpartition(")")[2].split()[1])
    raise AssertionError("the gate's test runs in no job")


def test_a_folder_remote_refuses_shard_auto_and_a_run_id_needs_it(tmp_path: Path) -> None:
    root = copy_project("basic", tmp_path)
    run = lockgate(
        "align", root, "--shard", "auto", "--run-id", "r", "--remote", (tmp_path / "f").as_uri(),
        env={"LOCKGATE_REMOTE_KEY": SECRET},
    )  # fmt: skip
    assert run.code == 2 and run.stderr.count("\n") == 1, run.stderr
    assert "--shard auto needs a Redis remote" in run.stderr
    usage = lockgate("align", root, "--run-id", "r", "--shard", "1/2")
    assert usage.code == 2 and "--run-id names the run of --shard auto" in usage.stderr
