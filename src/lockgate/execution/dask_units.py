"""The units a Dask worker runs for lockgate: the worker's side of :mod:`.dask_pool`.

Each task carries the run's tree (:mod:`.tree`, unpacked once per worker by its hash) and the
run's :class:`Job`. Before its first unit of a tree the worker computes its environment
fingerprint in a fresh interpreter, as its children would start, and refuses every unit when it
is not the client's (:class:`Refused`): results are keyed by the client's fingerprint. A unit
runs exactly as a local one, in a sandbox of its own on the worker's copy (an import and
construction probe: :func:`.worker.run_modules`; a chunk of test files:
:func:`.testrun.run_chunks`), and everything it returns names files as the client does, so
the client judges, keys and stores it as it does a local unit's.

This module imports ``distributed`` only inside a task: the core install never needs it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from lockgate.execution.reaper import bytecode_cache
from lockgate.execution.sandbox import Sandbox
from lockgate.execution.testrun import Report, run_chunks
from lockgate.execution.tree import Tree, unpack
from lockgate.execution.worker import ModuleOutcome, Request, run_modules
from lockgate.model import Write

T = TypeVar("T")


class Refused(Exception):
    """A worker whose environment is not the client's: no unit of the run runs there."""


@dataclass(frozen=True)
class Job:
    """What every unit of one run needs besides its tree and its own work."""

    python_files: tuple[str, ...]
    sys_path: tuple[str, ...]  # the project's import path, as the client names it
    timeout: float
    env_names: tuple[str, ...]  # the configuration's `env`: part of the fingerprint
    fingerprint: tuple[tuple[str, str], ...]  # the client's, item by item
    bytecode: bool  # cache bytecode (off with --no-cache, as locally)


@dataclass
class Done:
    """A unit's result, with what its processes wrote in their places and what they ran."""

    value: Any
    writes: list[Write]
    ran: list[str]


def run_imports(tree: Tree, job: Job, requests: Sequence[Request]) -> Done:
    """Import each module of ``requests`` and construct its classes, one forked child each,
    in a place of the worker's copy (one place and one zygote for the task)."""
    root = _ready(tree, job)
    sandbox = _sandbox(root, tree, job)
    try:
        outcomes: dict[str, ModuleOutcome] = run_modules(
            root,
            _moved(job.sys_path, tree.root, str(root)),
            list(requests),
            job.timeout,
            jobs=1,
            pycache=bytecode_cache() if job.bytecode else None,
            files=job.python_files,
            place=sandbox.place("imports"),
            warm=True,
        )
        done = Done(outcomes, list(sandbox.writes), list(sandbox.ran))
    finally:
        sandbox.close()
    return renamed(done, str(root), tree.root)


def run_tests(
    tree: Tree,
    job: Job,
    files: Sequence[str],
    source_roots: Sequence[str],
    modules: Sequence[str] | None,
    timeouts: Mapping[str, float],
) -> Done:
    """Run one chunk of test files in one child process, in a place of the worker's copy."""
    root = _ready(tree, job)
    sandbox = _sandbox(root, tree, job)
    try:
        reports = run_chunks(
            root,
            files,
            source_roots,
            _moved(job.sys_path, tree.root, str(root)),
            job.timeout,
            1,
            lambda _name: None,
            bytecode_cache() if job.bytecode else None,
            max(1, len(files)),
            modules,
            job.python_files,
            timeouts,
            sandbox,
        )
        writes, ran = list(sandbox.writes), list(sandbox.ran)
    finally:
        sandbox.close()
    real = [
        Report(
            renamed(r.outcomes, r.base, ""),
            renamed(r.results, r.base, ""),
            Path(renamed(str(r.here), r.base, "")),
        )
        for r in reports
    ]
    return renamed(Done(real, writes, ran), str(root), tree.root)


def _sandbox(root: Path, tree: Tree, job: Job) -> Sandbox:
    """A sandbox of its own for one unit: the worker's threads run units side by side."""
    return Sandbox(root, job.python_files, manifest=tree.manifest, name=f"{uuid.uuid4().hex}-")


def _moved(paths: Sequence[str], old: str, new: str) -> list[str]:
    return [new + p[len(old) :] if p == old or p.startswith(old + os.sep) else p for p in paths]


def renamed(value: T, old: str, new: str) -> T:
    """``value`` (outcomes, reports, writes: strings in dicts, lists, sets and dataclasses) with
    ``old`` replaced by ``new`` in every string."""
    return _renamed(value, old, new) if old else value


def _renamed(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, Path):
        return Path(str(value).replace(old, new))
    if isinstance(value, dict):
        return {_renamed(k, old, new): _renamed(v, old, new) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(_renamed(v, old, new) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _renamed(getattr(value, f.name), old, new)
            for f in dataclasses.fields(value)
            if f.init
        }
        return dataclasses.replace(value, **changes)
    return value


# -- the worker's copy and its environment ---------------------------------------------------

_checked: dict[str, dict[str, str]] = {}  # a copy's root → the worker's fingerprint there
_checking = threading.Lock()


def _ready(tree: Tree, job: Job) -> Path:
    """The root of this worker's copy of ``tree``, once its environment is the client's."""
    # lazy: distributed is an optional extra, only ever imported on a worker
    from distributed import get_worker

    worker = get_worker()
    root = unpack(tree, Path(worker.local_directory) / "lockgate-trees")
    with _checking:
        found = _checked.get(str(root))
        if found is None:
            found = _checked[str(root)] = fingerprint(root, job.env_names)
    mine = dict(job.fingerprint)
    differ = sorted(k for k in mine.keys() | found.keys() if mine.get(k) != found.get(k))
    if differ:
        raise Refused(refusal(worker.address, differ))
    return root


def refusal(address: str, differ: Sequence[str]) -> str:
    """Why a worker refuses: which items of the fingerprint differ, and how to match them."""
    shown = ", ".join(differ[:5]) + (f" and {len(differ) - 5} more" if len(differ) > 5 else "")
    hint = ""
    if "env:PYTHONHASHSEED" in differ:
        hint = " (a Dask nanny sets PYTHONHASHSEED=6640: start workers with --no-nanny)"
    verb = "differs" if len(differ) == 1 else "differ"
    return (
        f"the Dask worker {address} runs another environment than this one ({shown} {verb}); "
        "lockgate runs no unit there: start workers from the same interpreter, packages and "
        f"settings{hint}"
    )


def fingerprint(root: Path, env_names: Sequence[str]) -> dict[str, str]:
    """The environment fingerprint a fresh interpreter of this worker computes for the copy at
    ``root``: what the worker's children start with, not the worker process's own path."""
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from lockgate.keys.environment import environment\n"
        "print(json.dumps(environment(Path(sys.argv[1]), sys.argv[2:])))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(root), *env_names],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout))
