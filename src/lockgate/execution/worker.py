"""Isolated import and construction of feature classes: the parent's side.

lockgate starts one *zygote* process (:mod:`.child.zygote`) with the project's ``sys.path``
and working directory, hands it the requests and reads one verdict line per module back. The
zygote loads nothing of the project; for every module it forks a child that imports the module
and constructs its classes, so a child that raises, hangs, exits or crashes takes only its own
module's verdicts with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lockgate.execution import reaper
from lockgate.execution.child.inputs import environment_folders
from lockgate.execution.sandbox import Place, fixed_hashes


@dataclass
class Outcome:
    """One step's verdict (an import or one construction)."""

    ok: bool
    detail: str
    seconds: float
    loaded: list[str] = field(default_factory=list)  # input files the step read or imported
    lists: list[str] = field(default_factory=list)  # project folders whose listing it read
    probes: list[list[str]] = field(default_factory=list)  # candidate sets (child.inputs)
    native: list[str] = field(default_factory=list)  # native code among its inputs: not stored
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
    warm: bool = False,
) -> dict[str, ModuleOutcome]:
    """Import and construct in isolated children, ``jobs`` at a time; keyed by module.

    With ``warm``, modules of one parent package are forked from a process that imported
    the package once (:mod:`.child.zygote`): their verdicts and inputs are a fresh import's,
    but their time and memory leave the package out, so a measurement never asks for it.

    ``pycache`` is where bytecode may be cached (outside the project); None writes none.
    ``files`` are the project's Python files, whose cached bytecode is checked before use.
    With ``place`` (a copy of the tree, :mod:`.sandbox`) the children run there, and
    what they wrote is recorded and put back afterwards.
    """
    if not requests:
        return {}
    try:
        return _run(root, sys_path, requests, timeout, jobs, on_done, pycache, files, place, warm)
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
    warm: bool,
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
        "drop": environment_folders(*own),
        "warm": warm,
    }
    real = (lambda text: text) if place is None else place.real
    env = fixed_hashes(os.environ) if place is None else place.env(os.environ)
    # A session of its own: a terminal's Ctrl-C reaches lockgate alone, which ends the rest.
    # run_modules runs in a pool thread, and the zygote's death signal (lifetime.die_with_owner)
    # follows the thread that started it: this function ends the zygote before it returns.
    proc = subprocess.Popen(
        [sys.executable, "-m", "lockgate.execution.child.zygote"],
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
