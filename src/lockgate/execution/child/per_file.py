"""One process per test file, forked from the test child once pytest's session has started.

Test files that share a process share its state: a module-level cache, a random generator, a
patched library. Then a file's verdict and coverage depend on which files ran before it in the
same process, that is on how lockgate happened to group them, and an incremental run (which
groups the files it re-runs differently) disagrees with a full one. So each test file runs in a
process of its own, forked after pytest has read its configuration, loaded its plugins and the
project's first conftest files (paid once per child, not per file), and before anything of a
test file is collected. Every file starts from that same state, whatever ran before it.

The fork writes a whole result of its own (outcomes, coverage, observations: what the parent
did before the fork is in every file's, as every file depends on it) to ``<result>.<n>``; this
module waits for each, notes a fork that died without one, and writes the aggregate at
``<result>`` for :mod:`lockgate.execution.chunk`: ``{"exit", "parts": [{"file", "result",
"output"}], "lost": [{"file", "output", "status", "event", "test", "seconds"}], "finished"}``. The
project's ``pytest_sessionfinish`` hooks run in neither process: after the last file there is
nothing the verdicts need, and a plugin's terminal summary (hypothesis's) cost seconds per file.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from lockgate.execution.child.lifetime import die_with_parent
from lockgate.execution.child.observe import Observer

_STOP = getattr(signal, "SIGUSR1", None)


def available() -> bool:
    """Whether this platform can fork a warm process per file (POSIX)."""
    return hasattr(os, "fork") and _STOP is not None


def _last_event(progress: str, offset: int) -> dict[str, Any]:
    """The last complete progress line a fork wrote (from ``offset``), or {} if none."""
    with contextlib.suppress(OSError), open(progress, "rb") as stream:
        stream.seek(offset)
        lines = stream.read().split(b"\n")[:-1]  # a killed fork may leave half a line
        for line in reversed(lines):
            with contextlib.suppress(ValueError):
                event: dict[str, Any] = json.loads(line)
                return event
    return {}


class Each:
    """Runs ``run(name, part)`` in a forked process per test file, one after another."""

    def __init__(
        self,
        files: list[str],
        result: str,
        progress: str,
        observer: Observer,
        run: Callable[[str, dict[str, str]], None],
    ) -> None:
        self.files, self.result, self.progress = files, result, progress
        self.observer, self.run = observer, run
        self.parts: list[dict[str, str]] = []
        self.extra: list[str] = []  # results of no test file, made before the forks
        self.lost: list[dict[str, Any]] = []
        self.running = 0  # the pid of the fork running now
        self.ending = False

    def settled(self) -> list[str]:
        """The files with a complete part or a known death."""
        return [p["file"] for p in self.parts] + [g["file"] for g in self.lost]

    def all(self) -> NoReturn:
        """Run every file, write the aggregate and end this process."""
        top = os.getpid()
        if _STOP is not None:
            signal.signal(_STOP, lambda _signum, _frame: self._stopped())
        # What the parent built is shared by every fork; frozen, the forks' collections do
        # not touch (and so copy) its pages.
        gc.collect()
        gc.freeze()
        for number, name in enumerate(self.files):
            part = {
                "file": name,
                "result": f"{self.result}.{number}",
                "output": f"{self.result}.{number}.out",
            }
            offset = os.path.getsize(self.progress)
            started = time.monotonic()
            self.observer.paused = True  # the fork is lockgate's, not a test's process
            pid = os.fork()
            if pid == 0:
                self._child(top, name, part)
            self.running = pid
            self.observer.paused = False
            status = os.waitpid(pid, 0)[1]
            self.running = 0
            if os.path.exists(part["result"]):
                self.parts.append(part)
            else:
                event = _last_event(self.progress, offset)
                self.lost.append(
                    {
                        "file": name,
                        "output": part["output"],
                        "status": status,
                        "event": event.get("event"),
                        "test": event.get("test"),
                        "seconds": time.monotonic() - started,
                    }
                )
        self._write(None)
        os._exit(0)

    def _child(self, top: int, name: str, part: dict[str, str]) -> NoReturn:
        """The fork: run one file, whose result (written by ``run``) is its answer."""
        if _STOP is not None:
            signal.signal(_STOP, signal.SIG_DFL)
        try:
            die_with_parent(top)
            self.observer.ledger.reset()  # this process's own opens: the parent reports its own
            self.observer.paused = False
            self.run(name, part)
        except BaseException:  # any escape is this file's lost result
            with open(part["output"], "a", encoding="utf-8") as out:
                for line in traceback.format_exc().splitlines():
                    out.write(f"INTERNALERROR> {line}\n")
        finally:
            os._exit(0)

    def _stopped(self) -> None:
        """The parent timed the running file out: end it, keep what the others did."""
        if self.ending:
            return  # the aggregate is being written anyway
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.running, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.running, 0)
        self._write(self.settled())
        os._exit(0)

    def _write(self, finished: list[str] | None) -> None:
        self.ending = True
        extra = [{"file": None, "result": r, "output": os.devnull} for r in self.extra]
        parts = extra + self.parts
        aggregate = {
            "exit": 0,
            "parts": parts,
            "lost": self.lost,
            "finished": finished,
            "watch": self.observer.ledger.report(),  # the opens before and between the forks
        }
        tmp = self.result + ".tmp"
        Path(tmp).write_text(json.dumps(aggregate), encoding="utf-8")
        os.replace(tmp, self.result)
