"""The import worker's zygote: ``python -m lockgate.execution.child.zygote``.

It reads a setup line and one request per module on stdin (:mod:`lockgate.execution.worker`
writes them) and loads nothing of the project: for every module it forks a child that imports
it and constructs its classes (:mod:`.construction`), ``jobs`` at a time. A child that raises,
hangs, exits or crashes takes only its own module's verdicts with it; the zygote answers one
JSON line per module on stdout.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import selectors
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from lockgate.execution.child.bytecode import stale_bytecode
from lockgate.execution.child.construction import examine
from lockgate.execution.child.inputs import Paths, environment_folders
from lockgate.execution.child.lifetime import die_with_owner, die_with_parent
from lockgate.execution.child.observe import Observer

# Loaded before forking, as when the zygote was lockgate's worker module (parent side and
# reaper included): every child shares them, so a module that imports one pays nothing for it,
# its import time and memory growth leave it out, and no lookup of it is recorded as a probe.
_PRELOADED = ("atexit", "fcntl", "pathlib", "shutil", "subprocess", "tempfile", "threading")


@dataclass
class _Running:
    request: dict[str, Any]
    pid: int
    fd: int
    deadline: float
    phase: str = "import"
    name: str = ""
    buffer: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    done: bool = False


def _fork(request: dict[str, Any], observer: Observer, paths: Paths) -> tuple[int, int]:
    read_fd, write_fd = os.pipe()
    zygote = os.getpid()
    pid = os.fork()
    if pid == 0:  # child
        # A process group per child: a timeout or the end of the child takes down every
        # process its module started, and nothing else.
        os.setpgid(0, 0)
        die_with_parent(zygote)
        os.close(read_fd)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        try:
            with os.fdopen(write_fd, "w") as out:
                examine(request, out, observer, paths)
                out.write(json.dumps({"done": True}) + "\n")
        finally:
            os._exit(0)
    with contextlib.suppress(OSError):  # set on both sides: whichever runs first wins
        os.setpgid(pid, pid)
    os.close(write_fd)
    os.set_blocking(read_fd, False)
    return pid, read_fd


def _fail_rest(run: _Running, detail: str, transient: bool = False) -> None:
    res = run.result
    if "imported" not in res:
        res["imported"] = {
            "ok": False,
            "detail": detail,
            "seconds": 0.0,
            "loaded": [],
            "transient": transient,
        }
    for name, _ in run.request["classes"]:
        if name not in res["classes"]:
            own = detail if (run.phase == "instantiate" and run.name == name) else ""
            if not own:
                own = (
                    f"not constructed: the import failed: {res['imported']['detail']}"
                    if not res["imported"]["ok"]
                    else f"not constructed: {detail}"
                )
            imported = res["imported"]
            res["classes"][name] = {
                "ok": False,
                "detail": own,
                "seconds": 0.0,
                # not constructed because of the import: its inputs are the import's
                "loaded": imported.get("loaded", []),
                "lists": imported.get("lists", []),
                "probes": imported.get("probes", []),
                "native": imported.get("native", []),
                "transient": transient or bool(imported.get("transient")),
            }


def _on_message(run: _Running, message: dict[str, Any], timeout: float) -> None:
    if "phase" in message:
        run.phase, run.name = message["phase"], message["name"]
        run.deadline = time.monotonic() + timeout
    elif message.get("step") == "import":
        message.pop("step")
        run.result["imported"] = message
    elif message.get("step") == "instantiate":
        message.pop("step")
        run.result["classes"][message.pop("name")] = message
    elif message.get("step") == "memory":
        run.result["peak_mb"] = message["peak_mb"]
    elif message.get("done"):
        run.done = True


def _exit_detail(run: _Running, status: int) -> str:
    what = "import" if run.phase == "import" else f"constructing {run.name}"
    if os.WIFSIGNALED(status):
        sig = signal.Signals(os.WTERMSIG(status)).name
        return f"the worker process crashed with {sig} during {what}"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return f"the process was ended with exit code {code} during {what} (os._exit?)"


class _Outbox:
    """Answers for lockgate, written without blocking: a reader that stops reading (lockgate
    frozen, busy, or a full pipe) must not stop the loop that enforces every child's deadline
    and takes its process group down. The children put /dev/null on fds 0-2, so the
    non-blocking flag of this pipe never reaches code of the project."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pending = b""
        os.set_blocking(fd, False)

    def add(self, line: str) -> None:
        self.pending += line.encode() + b"\n"
        self.send()

    def send(self) -> None:
        """Write what the pipe takes now."""
        while self.pending:
            try:
                written = os.write(self.fd, self.pending)
            except BlockingIOError:
                return
            self.pending = self.pending[written:]

    def close(self) -> None:
        """Write everything left, waiting for the reader."""
        os.set_blocking(self.fd, True)
        while self.pending:
            self.pending = self.pending[os.write(self.fd, self.pending) :]


def serve() -> None:
    """The zygote: read a setup line and requests from stdin, answer one line per module."""
    for name in _PRELOADED:  # before the project's folders join sys.path
        importlib.import_module(name)
    setup = json.loads(sys.stdin.readline())
    root, timeout, jobs = setup["root"], float(setup["timeout"]), int(setup["jobs"])
    sys.path[:0] = setup["sys_path"]
    # Never write __pycache__ into the project: cache bytecode outside it, or not at all.
    sys.pycache_prefix = setup["pycache"]
    sys.dont_write_bytecode = not setup["pycache"]
    os.chdir(root)
    if sys.pycache_prefix:
        stale_bytecode([os.path.join(root, f) for f in setup["files"]])
    paths = Paths(setup["real_root"], setup["drop"], setup["mirror"])
    # The run's folder holds the sandbox: only the Paths above may drop it, after mapping.
    observer = Observer(environment_folders(setup["pycache"] or ""))
    observer.install()
    pending = [json.loads(line) for line in sys.stdin if line.strip()]
    pending.reverse()
    running: dict[int, _Running] = {}
    selector = selectors.DefaultSelector()
    sys.stdout.flush()
    outbox = _Outbox(sys.stdout.fileno())
    while pending or running:
        while pending and len(running) < jobs:
            request = pending.pop()
            pid, fd = _fork(request, observer, paths)
            run = _Running(
                request,
                pid,
                fd,
                time.monotonic() + timeout,
                result={"id": request["id"], "classes": {}},
            )
            running[fd] = run
            selector.register(fd, selectors.EVENT_READ)
        wait = max(0.0, min(r.deadline for r in running.values()) - time.monotonic())
        outbox.send()
        pause = min(wait, 0.05 if outbox.pending else 0.5)
        for key, _ in selector.select(timeout=pause):
            run = running[int(key.fd)]
            chunk = os.read(run.fd, 65536).decode()
            if chunk:
                run.buffer += chunk
                *lines, run.buffer = run.buffer.split("\n")
                for line in lines:
                    _on_message(run, json.loads(line), timeout)
                continue
            _finish(run, selector, running, timeout, killed=False, outbox=outbox)
        now = time.monotonic()
        for run in [r for r in running.values() if r.deadline < now]:
            _finish(run, selector, running, timeout, killed=True, outbox=outbox)
    outbox.close()


def _finish(
    run: _Running,
    selector: selectors.BaseSelector,
    running: dict[int, _Running],
    timeout: float,
    killed: bool,
    outbox: _Outbox,
) -> None:
    # Before reaping: the child's pid is its group's id until then. What its module started
    # (at import, in a constructor) ends with it, whether it finished or not.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(run.pid, signal.SIGKILL)
    _, status = os.waitpid(run.pid, 0)
    selector.unregister(run.fd)
    os.close(run.fd)
    del running[run.fd]
    if killed:
        what = "import" if run.phase == "import" else "constructor"
        _fail_rest(run, f"{what} timed out after {timeout:g}s", transient=True)
    elif not run.done:
        _fail_rest(run, _exit_detail(run, status))
    else:
        _fail_rest(run, "the worker stopped before constructing it")
    outbox.add(json.dumps(run.result))


if __name__ == "__main__":
    die_with_owner()
    serve()
