"""Isolated import and construction of feature classes.

lockgate starts one *zygote* process (``python -m lockgate.execution.worker``) with the project's
``sys.path`` and working directory. The zygote loads nothing of the project; for every module
it forks a child that imports the module and constructs its classes. A child that raises,
hangs, exits or crashes takes only its own module's verdicts with it. Only the standard
library (and execution.reaper, which imports only that) is imported here, so children start clean
and fast.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import os
import resource
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from lockgate.execution import reaper
from lockgate.execution.child import observe as _observe  # standard library only, like this module

if TYPE_CHECKING:  # the zygote never imports it: the parent hands it a place's paths
    from lockgate.execution.sandbox import Place

# -- parent side --------------------------------------------------------------------------


@dataclass
class Outcome:
    """One step's verdict (an import or one construction)."""

    ok: bool
    detail: str
    seconds: float
    loaded: list[str] = field(default_factory=list)  # input files the step read or imported
    lists: list[str] = field(default_factory=list)  # project folders whose listing it read
    probes: list[list[str]] = field(default_factory=list)  # candidate sets (see _observe)
    transient: bool = False  # a timeout or a lost worker: depends on load (stored marked)


@dataclass(frozen=True)
class Request:
    """Import ``module`` and construct ``classes`` (name, factory or None).

    Outcomes are keyed by ``ident``: the module, unless one module is asked for several times
    (performance measures each feature in a child of its own).
    """

    module: str
    classes: tuple[tuple[str, str | None], ...]
    ident: str = ""

    @property
    def key(self) -> str:
        """What the outcome is filed under."""
        return self.ident or self.module


@dataclass
class ModuleOutcome:
    """The verdicts for one module and its classes."""

    imported: Outcome
    classes: dict[str, Outcome]
    peak_mb: float | None = None  # growth of the child's peak RSS over import and construction


def run_modules(
    root: Path,
    sys_path: Sequence[str],
    requests: Sequence[Request],
    timeout: float,
    jobs: int,
    on_done: Callable[[str], None] | None = None,
    pycache: Path | None = None,
    files: Sequence[str] = (),
    place: Place | None = None,
) -> dict[str, ModuleOutcome]:
    """Import and construct in isolated children, ``jobs`` at a time; keyed by module.

    ``pycache`` is where bytecode may be cached (outside the project); None writes none.
    ``files`` are the project's Python files, whose cached bytecode is checked before use.
    With ``place`` (a copy of the tree, :mod:`.sandbox`) the children run there, and
    what they wrote is recorded and put back afterwards.
    """
    if not requests:
        return {}
    try:
        return _run(root, sys_path, requests, timeout, jobs, on_done, pycache, files, place)
    finally:
        if place is not None:
            place.settle(sorted({r.module for r in requests}))


def _run(
    root: Path,
    sys_path: Sequence[str],
    requests: Sequence[Request],
    timeout: float,
    jobs: int,
    on_done: Callable[[str], None] | None,
    pycache: Path | None,
    files: Sequence[str],
    place: Place | None,
) -> dict[str, ModuleOutcome]:
    own = [str(pycache)] if pycache else []
    here = str(root)
    if place is not None:
        here = str(place.root)
        own.append(str(place.base.parent))  # the run's folder: lockgate's own
    setup = {
        "root": here,
        "real_root": str(root),
        "mirror": None if place is None else str(place.base),
        "sys_path": [p if place is None else place.path(p) for p in sys_path],
        "jobs": jobs,
        "timeout": timeout,
        "pycache": str(pycache) if pycache else None,
        "files": list(files),
        "drop": _observe.environment_folders(*own),
    }
    real = (lambda text: text) if place is None else place.real
    env = dict(os.environ) if place is None else place.env(os.environ)
    # A session of its own: a terminal's Ctrl-C reaches lockgate alone, which ends the rest.
    # run_modules runs in a pool thread, and the zygote's death signal (reaper.die_with_owner)
    # follows the thread that started it: this function ends the zygote before it returns.
    proc = subprocess.Popen(
        [sys.executable, "-m", "lockgate.execution.worker"],
        cwd=here,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**env, **reaper.marker()},
        start_new_session=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    lines = [json.dumps(setup)]
    lines.extend(
        json.dumps({"id": r.key, "module": r.module, "classes": r.classes}) for r in requests
    )
    proc.stdin.write("\n".join(lines) + "\n")
    proc.stdin.close()
    out: dict[str, ModuleOutcome] = {}
    try:
        for line in proc.stdout:
            data = json.loads(real(line))
            out[data["id"]] = ModuleOutcome(
                imported=Outcome(**data["imported"]),
                classes={name: Outcome(**o) for name, o in data["classes"].items()},
                peak_mb=data.get("peak_mb"),
            )
            if on_done is not None:
                on_done(data["id"])
    finally:
        proc.stdout.close()
        # Each import child has a group of its own and dies with the zygote (die_with_parent).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    for r in requests:
        if r.key not in out:  # the zygote itself died: say so instead of guessing
            lost = Outcome(
                False, "the worker process was lost before judging this module", 0.0, transient=True
            )
            out[r.key] = ModuleOutcome(lost, {name: lost for name, _ in r.classes})
    return out


# -- child side ---------------------------------------------------------------------------


_OBSERVER: _observe.Observer | None = None
_PATHS: _observe.Paths | None = None


def _observed() -> dict[str, Any]:
    """What this child has read, imported, looked for and listed so far."""
    assert _OBSERVER is not None and _PATHS is not None
    owners = _observe.summarize(_OBSERVER.report(), _PATHS)
    return {
        "loaded": sorted({f for o in owners.values() for f in o["files"]}),
        "lists": sorted({f for o in owners.values() for f in o["lists"]}),
        "probes": sorted(o["probes"] for o in owners.values() if o["probes"]),
    }


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code!r})"
    text = f"{type(exc).__name__}: {exc}".strip()
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<"):
        text += f" ({os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno})"
    return text


def _required_arguments(cls: type) -> list[str]:
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return []
    kinds = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )
    return [
        p.name
        for p in signature.parameters.values()
        if p.kind in kinds and p.default is inspect.Parameter.empty
    ]


def _takes_class(make: Any) -> bool:
    """A factory receives the class when it has exactly one required positional parameter
    (``build(cls)``); one without required parameters is called with none (``make()``)."""
    try:
        signature = inspect.signature(make)
    except (TypeError, ValueError):
        return False  # not introspectable (a builtin): the documented no-argument call
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    required = [
        p
        for p in signature.parameters.values()
        if p.kind in kinds and p.default is inspect.Parameter.empty
    ]
    return len(required) == 1


def _construct(module: Any, name: str, factory: str | None) -> str:
    """Build one instance; return "" on success or what went wrong."""
    cls = getattr(module, name, None)
    if not isinstance(cls, type):
        return f"{name} is not a class of {module.__name__} at run time"
    if factory:
        mod_name, _, attr = factory.partition(":")
        try:
            make = getattr(importlib.import_module(mod_name), attr)
        except BaseException as exc:
            return f"factory {factory} could not be loaded: {_describe(exc)}"
        try:
            obj = make(cls) if _takes_class(make) else make()
        except BaseException as exc:
            return f"factory {factory} raised {_describe(exc)}"
        if not isinstance(obj, cls):
            return f"factory {factory} returned {type(obj).__name__}, not {name}"
        return ""
    missing = _required_arguments(cls)
    if missing:
        return (
            f"constructor needs arguments ({', '.join(missing)}) and no factory is configured "
            f'under [tool.lockgate.instantiate] "{module.__name__}.{name}"'
        )
    cls()
    return ""


def _child(request: dict[str, Any], root: str, out: IO[str]) -> None:
    def say(**message: Any) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    assert _OBSERVER is not None
    _OBSERVER.reset()
    say(phase="import", name="")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    try:
        module = importlib.import_module(request["module"])
    except BaseException as exc:
        say(
            step="import",
            ok=False,
            detail=_describe(exc),
            seconds=time.perf_counter() - start,
            **_observed(),
        )
        return
    say(
        step="import",
        ok=True,
        detail="",
        seconds=time.perf_counter() - start,
        **_observed(),
    )
    for name, factory in request["classes"]:
        say(phase="instantiate", name=name)
        start = time.perf_counter()
        try:
            problem = _construct(module, name, factory)
        except BaseException as exc:
            problem = f"constructor raised {_describe(exc)}"
        say(
            step="instantiate",
            name=name,
            ok=not problem,
            detail=problem,
            seconds=time.perf_counter() - start,
            **_observed(),
        )
    # ru_maxrss is in KiB on Linux; a forked child starts from the zygote's peak.
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    say(step="memory", peak_mb=round(max(growth, 0) / 1024, 2))


def _fork(request: dict[str, Any], root: str) -> tuple[int, int]:
    read_fd, write_fd = os.pipe()
    zygote = os.getpid()
    pid = os.fork()
    if pid == 0:  # child
        # A process group per child: a timeout or the end of the child takes down every
        # process its module started, and nothing else.
        os.setpgid(0, 0)
        reaper.die_with_parent(zygote)
        os.close(read_fd)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        try:
            with os.fdopen(write_fd, "w") as out:
                _child(request, root, out)
                out.write(json.dumps({"done": True}) + "\n")
        finally:
            os._exit(0)
    with contextlib.suppress(OSError):  # set on both sides: whichever runs first wins
        os.setpgid(pid, pid)
    os.close(write_fd)
    os.set_blocking(read_fd, False)
    return pid, read_fd


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


def serve() -> None:
    """The zygote: read a setup line and requests from stdin, answer one line per module."""
    setup = json.loads(sys.stdin.readline())
    root, timeout, jobs = setup["root"], float(setup["timeout"]), int(setup["jobs"])
    sys.path[:0] = setup["sys_path"]
    # Never write __pycache__ into the project: cache bytecode outside it, or not at all.
    sys.pycache_prefix = setup["pycache"]
    sys.dont_write_bytecode = not setup["pycache"]
    os.chdir(root)
    if sys.pycache_prefix:
        _observe.stale_bytecode([os.path.join(root, f) for f in setup["files"]])
    global _OBSERVER, _PATHS
    _PATHS = _observe.Paths(setup["real_root"], setup["drop"], setup["mirror"])
    # The run's folder holds the sandbox: only the Paths above may drop it, after mapping.
    _OBSERVER = _observe.Observer(_observe.environment_folders(setup["pycache"] or ""))
    _OBSERVER.install()
    pending = [json.loads(line) for line in sys.stdin if line.strip()]
    pending.reverse()
    running: dict[int, _Running] = {}
    selector = selectors.DefaultSelector()
    while pending or running:
        while pending and len(running) < jobs:
            request = pending.pop()
            pid, fd = _fork(request, root)
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
        for key, _ in selector.select(timeout=min(wait, 0.5)):
            run = running[int(key.fd)]
            chunk = os.read(run.fd, 65536).decode()
            if chunk:
                run.buffer += chunk
                *lines, run.buffer = run.buffer.split("\n")
                for line in lines:
                    _on_message(run, json.loads(line), timeout)
                continue
            _finish(run, selector, running, timeout, killed=False)
        now = time.monotonic()
        for run in [r for r in running.values() if r.deadline < now]:
            _finish(run, selector, running, timeout, killed=True)


def _finish(
    run: _Running,
    selector: selectors.BaseSelector,
    running: dict[int, _Running],
    timeout: float,
    killed: bool,
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
    sys.stdout.write(json.dumps(run.result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    reaper.die_with_owner()
    serve()
