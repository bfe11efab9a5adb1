"""The Dask executor: a real ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1.

One cluster serves the module. Its workers run without a nanny (a nanny sets PYTHONHASHSEED,
which is part of the environment fingerprint) and with ``LOCKGATE_DASK_GATE`` naming a folder:
the gate test added to a scenario by :func:`_gated` writes ``started-<worker>`` there and waits
for ``release``, so a test can kill the worker running it while it runs, without guessing
times.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, copy_project, git, isolated_env, lockgate

_READY = 120.0  # an upper bound for a start-up on a loaded machine, never a wait by itself
_GATE_TEST = '''"""Waits at a gate when a Dask worker of the tests opened one."""

import os
import pathlib
import time


def test_gate():
    gate = os.environ.get("LOCKGATE_DASK_GATE")
    if gate:
        folder = pathlib.Path(gate)
        (folder / f"started-{os.environ['LOCKGATE_DASK_WORKER']}").touch()
        while not (folder / "release").exists():
            time.sleep(0.05)
'''


@dataclass
class Cluster:
    """A scheduler and its workers, each a process of this module."""

    folder: Path
    scheduler: subprocess.Popen[bytes]
    address: str = ""
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.address.replace("tcp://", "dask://")

    @property
    def gate(self) -> Path:
        return self.folder / "gate"

    def start_worker(self, name: str, env: dict[str, str] | None = None) -> None:
        log = self.folder / f"worker-{name}.log"
        with log.open("wb") as out:
            self.workers[name] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_worker",
                    self.address,
                    "--no-nanny",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--local-directory",
                    str(self.folder / f"local-{name}"),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={
                    **os.environ,
                    "LOCKGATE_DASK_GATE": str(self.gate),
                    "LOCKGATE_DASK_WORKER": name,
                    **(env or {}),
                },
            )
        _wait_for(lambda: "Registered to" in log.read_text("utf-8", "replace"), log)

    def stop(self) -> None:
        for process in [*self.workers.values(), self.scheduler]:
            if process.poll() is None:
                process.kill()
            process.wait()


def _wait_for(ready: Any, log: Path) -> None:
    """Until ``ready()``: a start-up that never comes fails with the process's log."""
    deadline = time.monotonic() + _READY
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"not ready: {log.read_text('utf-8', 'replace')[-2000:]}")
        time.sleep(0.05)


def _start(folder: Path, workers: dict[str, dict[str, str]]) -> Cluster:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gate").mkdir(exist_ok=True)
    info, log = folder / "scheduler.json", folder / "scheduler.log"
    with log.open("wb") as out:
        scheduler = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(info),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    cluster = Cluster(folder, scheduler)
    try:
        _wait_for(lambda: info.is_file() and info.stat().st_size > 0, log)
        _wait_for(lambda: _loaded(info) is not None, log)
        cluster.address = str(_loaded(info))
        for name, env in workers.items():
            cluster.start_worker(name, env)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _loaded(info: Path) -> str | None:
    try:
        return str(json.loads(info.read_text("utf-8"))["address"])
    except (ValueError, KeyError):
        return None  # written but not whole yet


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with isolated_env(tmp_path_factory):
        started = _start(tmp_path_factory.mktemp("dask"), {"a": {}, "b": {}})
        try:
            yield started
        finally:
            started.stop()


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The scenario's verdicts in a local run, without the store: what the cluster must give."""
    with isolated_env(tmp_path_factory):
        run = lockgate("align", _scenario(tmp_path_factory.mktemp("local")), "--json", "--no-cache")
    assert run.code in (0, 1), run.stderr
    return {"code": run.code, "verdicts": _reused(_verdicts(run)), "suite": run.json["suite"]}


def _verdicts(run: Run) -> dict[str, Any]:
    """Every layer's and suite file's verdict and detail, without timings."""
    data = run.json
    out: dict[str, Any] = {}
    for feature in data["features"]:
        for name, layer in feature["layers"].items():
            out[f"{feature['id']}:{name}"] = {k: v for k, v in layer.items() if k != "seconds"}
    for suite in data["suite"]:
        out[suite["file"]] = {k: v for k, v in suite.items() if k != "seconds"}
    return out


_FAILING_IMPORT = '''"""A widget whose module cannot be imported."""

import app.widgets

raise RuntimeError("no import today")


class ExplodingWidget:
    """Never imported."""
'''
_FAILING_CONSTRUCTION = '''"""A widget that cannot be constructed."""


class FussyWidget:
    """Its constructor raises."""

    def __init__(self) -> None:
        raise ValueError("not like this")
'''


def _scenario(tmp_path: Path) -> Path:
    """The verdicts scenario (tests that fail in each phase), a module that fails to import,
    a class that fails to construct, and the gate test: a differential scenario."""
    root = copy_project("verdicts", tmp_path)
    (root / "tests" / "test_gate.py").write_text(_GATE_TEST, encoding="utf-8")
    (root / "src" / "app" / "exploding.py").write_text(_FAILING_IMPORT, encoding="utf-8")
    (root / "src" / "app" / "fussy.py").write_text(_FAILING_CONSTRUCTION, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "failures of every layer, and a test that waits at a gate")
    return root


def test_verdicts_details_and_stored_results_equal_a_local_run(
    cluster: Cluster, local: dict[str, Any], tmp_path: Path
) -> None:
    """A differential scenario (imports and constructions that fail, tests that fail in each
    phase): the cluster's verdicts and details are the local run's, and what it stored serves
    a local run in another checkout, result for result."""
    (cluster.gate / "release").touch()
    root = _scenario(tmp_path / "here")
    remote = lockgate("align", root, "--json", "--executor", cluster.url)
    assert remote.code == local["code"], remote.stderr
    assert _reused(_verdicts(remote)) == local["verdicts"]
    failed = [k for k, v in local["verdicts"].items() if not v["passed"]]
    for layer in ("imported", "instantiated", "tested"):  # the scenario is differential
        assert any(k.endswith(f":{layer}") for k in failed), layer
    assert any(not s["passed"] for s in local["suite"])
    clone = Path(shutil.copytree(root, tmp_path / "there" / root.name, symlinks=True))
    again = lockgate("align", clone, "--json")
    cache = again.json["summary"]["cache"]
    assert cache["misses"] == 0 and cache["hits"] == remote.json["summary"]["cache"]["misses"]
    assert _reused(_verdicts(again)) == _reused(_verdicts(remote))
    assert all(v["cached"] for v in _verdicts(again).values())


def _reused(verdicts: dict[str, Any]) -> dict[str, Any]:
    """Verdicts without whether they were served from the store, and why not."""
    return {
        k: {n: x for n, x in v.items() if n not in ("cached", "reason")}
        for k, v in verdicts.items()
    }


def test_a_worker_killed_mid_run_loses_nothing(
    cluster: Cluster, local: dict[str, Any], tmp_path: Path
) -> None:
    """The worker running the gate test is killed while the test runs: its unit runs again
    on the other worker, and the run's verdicts are a local run's."""
    root = _scenario(tmp_path)
    release = cluster.gate / "release"
    release.unlink(missing_ok=True)
    for started in cluster.gate.glob("started-*"):
        started.unlink()
    gated = ["--executor", cluster.url]
    run = subprocess.Popen(
        [sys.executable, "-m", "lockgate", "align", str(root), "--json", "--no-cache", *gated],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(lambda: any(cluster.gate.glob("started-*")), cluster.folder / "scheduler.log")
        (first,) = [p.name.removeprefix("started-") for p in cluster.gate.glob("started-*")]
        victim = cluster.workers[first]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        release.touch()
        out, err = run.communicate(timeout=300)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    (other,) = set(cluster.workers) - {first}
    # the gate test ran again there
    assert (cluster.gate / f"started-{other}").exists(), f"exit {run.returncode}: {err}"
    remote = Run(run.returncode, out, err)
    assert remote.code == local["code"], err
    assert _reused(_verdicts(remote)) == local["verdicts"]
    assert remote.json["suite"] and any(
        s["file"] == "tests/test_gate.py" and s["passed"] for s in remote.json["suite"]
    )


def test_a_worker_of_another_environment_is_refused(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A worker whose interpreter settings differ (another time zone) runs nothing: the run
    ends with one line naming what differs, and exit 2."""
    zone = "Asia/Tokyo" if os.environ.get("TZ") != "Asia/Tokyo" else "Europe/Paris"
    odd = _start(tmp_path_factory.mktemp("dask-odd"), {"odd": {"TZ": zone}})
    try:
        root = copy_project("basic", tmp_path)
        run = lockgate("align", root, "--json", "--no-cache", "--executor", odd.url)
    finally:
        odd.stop()
    assert run.code == 2, run.stderr
    assert run.stdout == ""
    (line,) = run.stderr.strip().splitlines()
    assert "runs another environment than this one (env:TZ differ" in line, line


def test_a_scheduler_out_of_reach_is_one_line_and_exit_2_or_a_run_here_if_asked(
    tmp_path: Path,
) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = copy_project("basic", tmp_path)
    unreachable = ("--executor", f"dask://127.0.0.1:{port}")
    connect = {"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"}
    run = lockgate("align", root, "--quiet", "--no-cache", *unreachable, env=connect)
    assert run.code == 2
    (line,) = run.stderr.strip().splitlines()
    said = f"cannot reach the Dask scheduler dask://127.0.0.1:{port}"
    assert line.startswith(f"lockgate: error: {said}")

    # --executor-fallback: the same run here, with one warning
    fallback = lockgate(
        "align", root, "--json", "--no-cache", *unreachable, "--executor-fallback", env=connect
    )
    assert fallback.code == 0, fallback.stderr
    (line,) = [w for w in fallback.stderr.splitlines() if "Dask" in w]
    assert line.startswith(f"lockgate: warning: {said}")
    assert line.endswith("; running here (--executor-fallback)")
    here = lockgate("align", root, "--json", "--no-cache")
    assert [(f["id"], f["score"]) for f in fallback.json["features"]] == [
        (f["id"], f["score"]) for f in here.json["features"]
    ]


def test_plain_tcp_beyond_loopback_is_refused_unless_accepted(tmp_path: Path) -> None:
    """A scheduler runs whatever it is sent: plain TCP to another machine needs a yes."""
    root = copy_project("basic", tmp_path)
    far = "dask://192.0.2.1:8786"  # TEST-NET-1: never reached, refused before connecting
    run = lockgate("align", root, "--quiet", "--no-cache", "--executor", far)
    assert run.code == 2
    (line,) = run.stderr.strip().splitlines()
    assert "refusing the plain-TCP Dask scheduler dask://192.0.2.1:8786" in line
    assert "--executor-insecure" in line
    accepted = lockgate(
        "align",
        root,
        "--quiet",
        "--no-cache",
        "--executor",
        far,
        "--executor-insecure",
        env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"},
    )
    assert accepted.code == 2
    assert "cannot reach the Dask scheduler" in accepted.stderr  # it tried: accepted
