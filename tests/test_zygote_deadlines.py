"""The import zygote enforces every import's deadline whatever its reader does: lockgate
frozen, busy or gone quiet must not keep a stuck import and its process group alive."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lockgate.execution import reaper
from lockgate.execution.child.inputs import environment_folders

STUCK = """import pathlib, subprocess, time

sleeper = subprocess.Popen(["sleep", "300"])  # in the import's process group
pathlib.Path("sleeper.pid").write_text(str(sleeper.pid))
time.sleep(300)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is gone, only not yet reaped
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_a_stuck_import_is_ended_on_time_while_nobody_reads_the_answers(tmp_path: Path) -> None:
    # one answer larger than a pipe holds, which nobody reads, then an import that hangs
    (tmp_path / "big.py").write_text('raise RuntimeError("x" * 300_000)\n')
    (tmp_path / "stuck.py").write_text(STUCK)
    setup = {
        "root": str(tmp_path),
        "real_root": str(tmp_path),
        "mirror": None,
        "sys_path": [str(tmp_path)],
        "jobs": 2,
        "timeout": 3,
        "pycache": None,
        "files": ["big.py", "stuck.py"],
        "drop": environment_folders(),
    }
    lines = [setup, *({"id": m, "module": m, "classes": []} for m in ("big", "stuck"))]
    zygote = subprocess.Popen(
        [sys.executable, "-m", "lockgate.execution.child.zygote"],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **reaper.marker()},
        start_new_session=True,
    )
    assert zygote.stdin is not None and zygote.stdout is not None
    try:
        zygote.stdin.write("".join(json.dumps(line) + "\n" for line in lines))
        zygote.stdin.close()
        pid_file = tmp_path / "sleeper.pid"
        deadline = time.monotonic() + 120
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline, "the stuck import never started"
            time.sleep(0.05)
        sleeper = int(pid_file.read_text())
        # its timeout is 3 s: its group goes then, though nobody has read a line yet
        deadline = time.monotonic() + 60
        while _alive(sleeper):
            assert time.monotonic() < deadline, "the stuck import's group outlived its timeout"
            time.sleep(0.05)
        answers = [json.loads(line) for line in zygote.stdout]
        assert [a["id"] for a in answers] == ["big", "stuck"]
        assert answers[1]["imported"]["detail"] == "import timed out after 3s"
    finally:
        zygote.stdout.close()
        os.killpg(zygote.pid, signal.SIGKILL)
        zygote.wait()
