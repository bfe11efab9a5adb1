"""One child process's share of a batched test run: started, watched and run again.

The child (:mod:`.child.pytest_child`) streams progress lines; the parent reads them to know the
test file (and test) running. A file that hangs is stopped after its timeout, one that kills the
process is named from the last line, and the rest of the share runs again without it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import site
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockgate.execution import reaper
from lockgate.execution.accounting import Counts, unaccounted
from lockgate.execution.placewatch import SENTINEL, PlaceWatch, folders_of
from lockgate.execution.results import FileOutcome, lost
from lockgate.execution.sandbox import Place

# Asked to stop at a timeout, a child writes what its finished files did; one that does not
# start to within this many seconds (stuck in C code) is killed and loses them.
STOP_SIGNAL = getattr(signal, "SIGUSR1", None)
_STOP_GRACE = 5.0
# pytest's exit codes of a run it could not carry out: interrupted, internal error, usage error
NOT_RUN = (2, 3, 4)
_BANG = re.compile(r"^!+ *(.*?) *!+$")


def pytest_error(output: str) -> str:
    """pytest's own error lines in a child's output, for the detail of a run it could not
    carry out: a usage error (an unknown option, a conftest that fails to import), the last
    line of an internal error, the reason of an interruption; else the last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    picked: list[str] = []
    for line in lines:
        if line.startswith("ERROR: usage:"):
            continue  # argparse's usage banner; its error line follows
        if line.startswith("ERROR:"):
            picked.append(line.removeprefix("ERROR:").strip())
        elif ": error: " in line:
            picked.append("error: " + line.partition(": error: ")[2])
        elif line.startswith(("E ", "ImportError while loading conftest")):
            picked.append(line.removeprefix("E ").strip())
        elif (bang := _BANG.match(line)) is not None:
            picked.append(bang[1])
    internal = [line for line in lines if line.startswith("INTERNALERROR>")]
    if internal:
        picked.append(internal[-1].removeprefix("INTERNALERROR>").strip())
    picked = [line for line in dict.fromkeys(picked) if line]
    return "; ".join(picked[:4] or lines[-1:])


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


@dataclass(frozen=True)
class _Stopping:
    """The file a chunk's attempt ends at, and why."""

    file: str
    test: str | None
    problem: str
    seconds: float
    since: float  # when it was found out (monotonic)


class Chunk:
    """One child's share of the files, run again without each offender until a run completes."""

    def __init__(
        self,
        files: list[str],
        workdir: Path,
        spec: dict[str, Any],
        timeout: float,
        timeouts: Mapping[str, float] | None = None,
        place: Place | None = None,
    ):
        self.files, self.workdir, self.spec, self.timeout = files, workdir, spec, timeout
        self.place = place  # where the child runs: a copy of the tree (lockgate.execution.sandbox)
        self.ran: list[str] | None = None  # the files of the attempt not settled yet
        self.timeouts = dict(timeouts or {})  # test file -> its own limit, overriding timeout
        self.outcomes: dict[str, FileOutcome] = {}  # offenders, or everyone when we gave up
        # each attempt's result, with the files to take from it (None: all)
        self.results: list[tuple[dict[str, Any], set[str] | None]] = []
        self.stopping: _Stopping | None = None  # a timed-out file the child was asked to stop
        self.done: list[str] = []  # files finished since the parent last looked, for progress
        self.proc: subprocess.Popen[bytes] | None = None
        self.attempt = 0
        # The kernel's view of the place while the first attempt ran (:mod:`.placewatch`),
        # and what the child's processes say they opened there: ``quiet`` once they match,
        # that is no process a test started read or wrote the project; else ``loud`` says why.
        self.watch: PlaceWatch | None = None
        self.counts = Counts()
        self.quiet = False
        self.loud: str | None = "not watched"
        if files:
            self._start()

    def settle(self) -> None:
        """Record what the last attempt wrote in its place, and put the place back."""
        if self.place is not None and self.ran is not None:
            self.place.settle(sorted(self.used) or self.ran)
        self.ran = None

    def _start(self) -> None:
        assert self.place is not None  # a chunk with files has a place
        self.settle()
        self.ran = list(self.files)
        self.attempt += 1
        base = self.workdir / f"attempt{self.attempt}"
        base.mkdir(parents=True)
        self.progress, self.result_path = base / "progress.jsonl", base / "result.json"
        self.output = base / "output.txt"
        spec = {
            **self.spec,
            **_placed(self.spec, self.place),
            "files": self.files,
            "progress": str(self.progress),
            "result": str(self.result_path),
            "basetemp": str(base / "tmp"),
        }
        self.unwatch("the files ran again")  # a second attempt: the first one's view is partial
        if self.attempt == 1:
            sentinel = base / SENTINEL
            sentinel.touch()
            spec["watched"] = str(sentinel)
            manifest = self.place.sandbox.manifest
            self.watch = PlaceWatch(folders_of(self.place.root, manifest), sentinel)
        (base / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
        self.progress.touch()
        self.offset, self.phase, self.finishing = 0, "", False
        self.current: str | None = None  # the test file being collected or run
        self.test: str | None = None  # and its running test
        self.used: dict[str, float] = {}  # seconds each file was current, over both phases
        self.since = time.monotonic()
        with open(self.output, "wb") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "lockgate.execution.child.pytest_child",
                    str(base / "spec.json"),
                ],
                cwd=spec["root"],
                env={**spec["env"], **reaper.marker()},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def unwatch(self, why: str) -> None:
        """Stop watching the place, ``why`` its view proves nothing (if still watching)."""
        if self.watch is not None:
            self.watch.stop()
            self.watch = None
            self.quiet, self.loud = False, why

    def _judge(self) -> None:
        """The child is gone: did anyone but its own processes open or change the place?"""
        if self.watch is None:
            return
        watch, self.watch = self.watch, None
        watch.stop()
        if self.outcomes:
            self.loud = "a file of the share did not finish in the first run"
        else:
            self.loud = watch.doubt or unaccounted(watch.opens, watch.changes, self.counts)
        self.quiet = self.loud is None

    def real(self, text: str) -> str:
        """``text`` with the place's paths made the project's."""
        return text if self.place is None else self.place.real(text)

    def _elapsed(self, now: float) -> float:
        held = self.used.get(self.current, 0.0) if self.current else 0.0
        return held + now - self.since

    def _read_events(self, now: float) -> None:
        with open(self.progress, "rb") as stream:
            stream.seek(self.offset)
            data = stream.read()
        complete = data[: data.rfind(b"\n") + 1]  # a killed child may leave half a line
        self.offset += len(complete)
        for line in complete.decode("utf-8").splitlines():
            event: dict[str, str] = json.loads(line)
            if self.current is not None:
                self.used[self.current] = self._elapsed(now)
            kind, self.since = event["event"], now
            self.current = event["file"] if kind in ("collect", "run") else None
            self.phase, self.test = kind, event.get("test")
            self.finishing = kind == "finishing"
            if kind == "done":
                self.done.append(event["file"])

    def kill(self) -> None:
        """Kill the child's whole process group (tests may start processes) and reap it."""
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def _exited(self) -> bool:
        # Not reaped yet: until kill() reaps it, its pid (the group id) cannot be reused.
        assert self.proc is not None
        if self.proc.returncode is not None:
            return True
        if not hasattr(os, "waitid"):  # macOS: reaping is all it offers
            return self.proc.poll() is not None
        return os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None

    def _retry_without(self, problem: str, now: float, transient: bool = False) -> bool:
        assert self.current is not None
        test = self.test if self.phase == "run" else None
        return self._restart(
            _Stopping(self.current, test, problem, self._elapsed(now), now), set(), transient
        )

    def _restart(self, offender: _Stopping, finished: set[str], transient: bool) -> bool:
        """Run the files again that neither finished nor offended, if any."""
        name = offender.file
        self.outcomes[name] = lost(
            name, offender.problem, offender.seconds, offender.test, transient
        )
        self.done.append(name)
        self.files = [f for f in self.files if f != name and f not in finished]
        if self.files:
            self._start()
        return not self.files

    def _stop(self, problem: str, now: float) -> bool:
        """A file timed out: ask the child to write what the files before it did and end."""
        assert self.current is not None and self.proc is not None and STOP_SIGNAL is not None
        test = self.test if self.phase == "run" else None
        self.stopping = _Stopping(self.current, test, problem, self._elapsed(now), now)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, STOP_SIGNAL)
        return False

    def _stopped(self, result: dict[str, Any]) -> bool:
        """The child wrote its result after a stop (or had just finished): keep what finished."""
        assert self.stopping is not None
        offender, self.stopping = self.stopping, None
        finished = self._take(result) - {offender.file}
        return self._restart(offender, finished, transient=True)

    def _take(self, result: dict[str, Any]) -> set[str]:
        """Keep what a child's result holds; the files it settled.

        A child that ran a process per file (:mod:`.child.per_file`) wrote each file's whole
        result apart, and names the files whose process died without one."""
        listed = result.get("finished")
        self.counts.add(result.get("watch"), "the test process")
        if "parts" not in result:
            finished = set(result["files"] if listed is None else listed)
            self.results.append((result, None if listed is None else finished))
            return finished
        settled: set[str] = set()
        for part in result["parts"]:
            data = json.loads(Path(part["result"]).read_text(encoding="utf-8"))
            if data.get("exit") in NOT_RUN:
                data["error"] = pytest_error(self._output(part["output"]))
            self.results.append((data, None))
            settled.update(data["files"])
            if part["file"] is not None:  # made before the forks, by the test process
                self.counts.add(data.get("watch"), f"the process of {part['file']}")
        for gone in result["lost"]:
            self.counts.doubt = self.counts.doubt or f"the process of {gone['file']} died"
            name, status = gone["file"], gone["status"]
            if os.WIFSIGNALED(status):
                how = f"signal {_signal_name(os.WTERMSIG(status))}"
            else:
                how = f"exit code {os.waitstatus_to_exitcode(status)}"
            blamed = gone["event"] in ("collect", "run")
            if blamed:
                at = " at import" if gone["event"] == "collect" else ""
                problem = f"killed the test process{at} ({how})"
            else:  # before its collection or after its last test: nothing to blame it for
                said = self._output(gone["output"]).splitlines() or ["no output"]
                problem = f"the test process ended without a result ({how}): {said[-1]}"
            test = gone["test"] if gone["event"] == "run" else None
            self.outcomes[name] = lost(name, problem, gone["seconds"], test, not blamed)
            self.done.append(name)
            settled.add(name)
        return settled

    def _output(self, path: str) -> str:
        """What a fork said of a run it could not carry out (empty if nothing)."""
        with contextlib.suppress(OSError):
            return self.real(Path(path).read_text("utf-8", "replace")).strip()
        return ""

    def _waiting(self, now: float, exited: bool) -> bool:
        """While a stopped child writes its result; one that dies or does not answer loses
        every result of this attempt, and the files that finished run again."""
        assert self.stopping is not None
        late = (
            now - self.since > self.timeout * 10 + 60
            if self.finishing
            else (now - self.stopping.since > _STOP_GRACE)
        )
        if not exited and not late:
            return False
        self.kill()
        offender, self.stopping = self.stopping, None
        return self._restart(offender, set(), transient=True)

    def _give_up(self, problem: str) -> bool:
        # No file to blame (conftest, plugin or session code): running again would fail again.
        self.outcomes.update((name, lost(name, problem, transient=True)) for name in self.files)
        self.done.extend(self.files)
        return True

    def poll(self) -> bool:
        """Read progress, enforce the timeout, handle a dead child; True once this chunk is over."""
        if self.proc is None:
            return True
        now = time.monotonic()
        self._read_events(now)
        exited = self._exited()
        if self.result_path.exists():  # written atomically; a child stuck at exit is killed
            self.kill()
            result = json.loads(self.result_path.read_text(encoding="utf-8"))
            if result.get("exit") in NOT_RUN:
                result["error"] = pytest_error(self.real(self.output.read_text("utf-8", "replace")))
            if self.stopping is not None:
                return self._stopped(result)
            self._take(result)
            self._judge()
            return True
        if self.stopping is not None:
            return self._waiting(now, exited)
        if not exited:
            own = self.timeouts.get(self.current, self.timeout) if self.current else self.timeout
            if self.current is not None and self._elapsed(now) > own:
                problem = f"timed out after {own:g}s"
                if STOP_SIGNAL is not None:
                    return self._stop(problem, now)
                self.kill()
                return self._retry_without(problem, now, transient=True)
            # Between files (interpreter and plugin start, conftest, session fixtures) the
            # per-feature timeout would punish every file for a loaded machine: allow a minute
            # more. Our own analysis after the tests may take long on big projects.
            limit = self.timeout * 10 + 60 if self.finishing else self.timeout + 60
            if self.current is None and now - self.since > limit:
                self.kill()
                return self._give_up(
                    f"timed out after {limit:g}s outside any test "
                    "file (conftest, session fixtures or hooks)"
                )
            return False
        self.kill()  # the child is gone; this ends what its tests left running
        code = self.proc.wait()  # reaped by kill(): this only reads the status
        self._read_events(now)
        how = f"signal {_signal_name(-code)}" if code < 0 else f"exit code {code}"
        if self.current is not None:
            at = " at import" if self.phase == "collect" else ""
            return self._retry_without(f"killed the test process{at} ({how})", now)
        lines = self.real(self.output.read_text("utf-8", "replace")).split("\n")
        tail = next((line.strip() for line in reversed(lines) if line.strip()), "no output")
        return self._give_up(f"the test process ended without a result ({how}): {tail}")


def _placed(spec: dict[str, Any], place: Place) -> dict[str, Any]:
    """The parts of a child's spec that name paths, for a child running in ``place``."""
    sys_path = [place.path(p) for p in spec["sys_path"]]
    return {
        "root": str(place.root),
        "real_root": spec["root"],
        "mirror": str(place.base),
        "sys_path": sys_path,
        "source": [place.path(p) for p in spec["source"]],
        # the values that point into the project point into the place; lockgate's own
        # source folder, added after, stays where it is
        "env": _child_env(place.env(os.environ), sys_path, spec["pycache"]),
    }


def _child_env(
    base: Mapping[str, str], sys_path: Sequence[str], pycache: str | None
) -> dict[str, str]:
    """The child's environment (``base`` made for its place): the project's import path, and
    bytecode kept out of it."""
    env = {
        k: v
        for k, v in base.items()
        if k != "COVERAGE_PROCESS_START" and not k.startswith("COV_CORE_")
    }
    paths = [*sys_path, *filter(None, [env.get("PYTHONPATH")])]
    here = str(Path(__file__).resolve().parents[2])  # the folder that holds the lockgate package
    if here not in site.getsitepackages():  # lockgate run from a source tree: the child needs it
        paths.append(here)
    env["PYTHONPATH"] = os.pathsep.join(paths)
    # Bytecode (and pytest's rewritten test modules) is cached outside the project, or not
    # at all: nothing may land in the project, not even __pycache__.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPYCACHEPREFIX", None)
    if pycache is not None:
        env["PYTHONPYCACHEPREFIX"] = pycache
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env
