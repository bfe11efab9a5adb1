"""The import worker's zygote: ``python -m lockgate.execution.child.zygote``.

It reads a setup line and one request per module on stdin (:mod:`lockgate.execution.worker`
writes them) and loads nothing of the project: for every module it forks a child that imports
it and constructs its classes (:mod:`.construction`), ``jobs`` at a time. A child that raises,
hangs, exits or crashes takes only its own module's verdicts with it; the zygote answers one
JSON line per module on stdout.

With ``warm`` in the setup (the import probes; never a performance measurement), modules of
one parent package (``a.b`` for ``a.b.c`` and ``a.b.d``) share a warm parent: a forked
process that imports ``a.b`` once, then forks a child per module from there. Python imports
``a``, then ``a.b``, before any line of ``a.b.c`` runs, so the child runs exactly what a fresh
import would have, in the same order, and the observer's record of the parent's import is
inherited. A warm parent that cannot be that (the package fails to import, started a thread
or a process, or changed what forking relies on) says so and exits; its modules, and any it
did not answer, are forked here as before. Only a child's own import counts toward its
deadline, time and memory: the package's has a deadline of its own.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import selectors
import signal
import sys
import threading
import time
from collections.abc import Callable
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
WARM_MIN = 2  # modules of one parent package that pay for a warm parent
_GRACE = 10.0  # seconds a warm parent may take beyond a child's deadline to answer for it
# What a warm parent forks and waits with: a package that replaced one is no place to fork from
_FORKING = (os.fork, os.waitpid, os.killpg, selectors.DefaultSelector)


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


def _forked(body: Callable[[int], None]) -> tuple[int, int]:
    """A child of this process in a group of its own, with /dev/null on fds 0-2, running
    ``body(fd)`` with the write end of a pipe whose read end (non-blocking) is returned."""
    read_fd, write_fd = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # child
        # A process group per child: a timeout or the end of the child takes down every
        # process its module started, and nothing else.
        os.setpgid(0, 0)
        die_with_parent(parent)
        os.close(read_fd)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        try:
            body(write_fd)
        finally:
            os._exit(0)
    with contextlib.suppress(OSError):  # set on both sides: whichever runs first wins
        os.setpgid(pid, pid)
    os.close(write_fd)
    os.set_blocking(read_fd, False)
    return pid, read_fd


def _fork(
    request: dict[str, Any], observer: Observer, paths: Paths, fresh: bool = True
) -> tuple[int, int]:
    def body(write_fd: int) -> None:
        with os.fdopen(write_fd, "w") as out:
            examine(request, out, observer, paths, fresh)
            out.write(json.dumps({"done": True}) + "\n")

    return _forked(body)


def _warm(
    parent: str, requests: list[dict[str, Any]], observer: Observer, paths: Paths, timeout: float
) -> tuple[int, int]:
    """A warm parent for ``requests`` (modules of the package ``parent``): its first line
    says whether it is one; then one answer line per module, as the zygote's."""

    def body(write_fd: int) -> None:
        observer.reset()
        try:
            importlib.import_module(parent)
            ready = _fork_safe(observer)
        except BaseException:
            ready = False
        outbox = _Outbox(write_fd)
        outbox.add(json.dumps({"warm": ready}))
        if ready:
            _drive(list(reversed(requests)), [], 1, timeout, observer, paths, outbox, fresh=False)
        outbox.close()

    return _forked(body)


def _fork_safe(observer: Observer) -> bool:
    """Whether this process may fork children that stand for fresh imports: one thread (a
    forked child has only the forking one), no process started, and forking and waiting as
    the zygote left them."""
    tasks = "/proc/self/task"
    if threading.active_count() != 1 or (os.path.isdir(tasks) and len(os.listdir(tasks)) != 1):
        return False
    if any(o["spawned"] for o in observer.report()["owners"].values()):
        return False
    if signal.getsignal(signal.SIGCHLD) not in (signal.SIG_DFL, None):
        return False
    return (os.fork, os.waitpid, os.killpg, selectors.DefaultSelector) == _FORKING


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


@dataclass
class _WarmParent:
    parent: str
    requests: list[dict[str, Any]]
    pid: int
    fd: int
    deadline: float
    buffer: str = ""
    answered: set[str] = field(default_factory=set)


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
    groups: list[tuple[str, list[dict[str, Any]]]] = []
    if setup.get("warm"):
        pending, groups = _by_parent(pending)
    pending.reverse()
    sys.stdout.flush()
    outbox = _Outbox(sys.stdout.fileno())
    _drive(pending, groups, jobs, timeout, observer, paths, outbox)
    outbox.close()


def _by_parent(
    requests: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[tuple[str, list[dict[str, Any]]]]]:
    """The requests forked here, and the parent packages worth a warm parent with their
    requests, the most first."""
    by_parent: dict[str, list[dict[str, Any]]] = {}
    for request in requests:
        by_parent.setdefault(request["module"].rpartition(".")[0], []).append(request)
    warm = [(p, rs) for p, rs in by_parent.items() if p and len(rs) >= WARM_MIN]
    taken = {r["id"] for _, rs in warm for r in rs}
    warm.sort(key=lambda g: -len(g[1]))
    return [r for r in requests if r["id"] not in taken], warm


def _drive(
    pending: list[dict[str, Any]],
    groups: list[tuple[str, list[dict[str, Any]]]],
    jobs: int,
    timeout: float,
    observer: Observer,
    paths: Paths,
    outbox: _Outbox,
    fresh: bool = True,
) -> None:
    """Run ``pending`` (taken from its end) and ``groups`` (warm parents, first ones first),
    ``jobs`` processes at a time, until each request is answered on ``outbox``."""
    running: dict[int, _Running | _WarmParent] = {}
    selector = selectors.DefaultSelector()
    groups = list(reversed(groups))
    while pending or groups or running:
        while (pending or groups) and len(running) < jobs:
            entry: _Running | _WarmParent
            if groups:
                parent, requests = groups.pop()
                pid, fd = _warm(parent, requests, observer, paths, timeout)
                entry = _WarmParent(parent, requests, pid, fd, time.monotonic() + timeout)
            else:
                request = pending.pop()
                pid, fd = _fork(request, observer, paths, fresh)
                entry = _Running(
                    request,
                    pid,
                    fd,
                    time.monotonic() + timeout,
                    result={"id": request["id"], "classes": {}},
                )
            running[fd] = entry
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
                    if isinstance(run, _WarmParent):
                        _on_answer(run, line, timeout, outbox)
                    else:
                        _on_message(run, json.loads(line), timeout)
                continue
            _end(run, selector, running, timeout, False, outbox, pending)
        now = time.monotonic()
        for run in [r for r in running.values() if r.deadline < now]:
            _end(run, selector, running, timeout, True, outbox, pending)


def _on_answer(warm: _WarmParent, line: str, timeout: float, outbox: _Outbox) -> None:
    """A warm parent's line: whether it is one, or an answer, passed on as it is."""
    message = json.loads(line)
    if "warm" in message:
        if message["warm"]:  # its children have deadlines of their own, which it enforces
            warm.deadline = time.monotonic() + timeout + _GRACE
        return
    warm.answered.add(message["id"])
    warm.deadline = time.monotonic() + timeout + _GRACE
    outbox.add(line)


def _end(
    run: _Running | _WarmParent,
    selector: selectors.BaseSelector,
    running: dict[int, _Running | _WarmParent],
    timeout: float,
    killed: bool,
    outbox: _Outbox,
    pending: list[dict[str, Any]],
) -> None:
    if isinstance(run, _Running):
        _finish(run, selector, running, timeout, killed, outbox)
        return
    # A warm parent that ended, was not one, or stopped answering: what it did not answer
    # is forked here, as if it had never been
    with contextlib.suppress(ProcessLookupError):
        os.killpg(run.pid, signal.SIGKILL)
    os.waitpid(run.pid, 0)
    selector.unregister(run.fd)
    os.close(run.fd)
    del running[run.fd]
    pending.extend(reversed([r for r in run.requests if r["id"] not in run.answered]))


def _finish(
    run: _Running,
    selector: selectors.BaseSelector,
    running: dict[int, _Running | _WarmParent],
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
