"""What a run leaves behind: its temporary folder and every process it started, found again.

The first child process a run starts creates the run's folder, ``$TMPDIR/lockgate-run-<pid>-…``,
and holds an exclusive ``flock`` on it for the life of the process. Every child gets
``LOCKGATE_RUN=<folder name>`` in its environment, which its own children inherit, so a
leftover is recognised by that marker in ``/proc/<pid>/environ`` even when it left its process
group, and nothing else is ever killed. At exit the run kills what carries its marker and
removes its folder; a run that was SIGKILLed leaves both to the next one, which sweeps every
folder whose lock is free and whose owner pid is gone.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

from lockgate.execution.child.marker import MARKER, PREFIX, owner

_PROC = Path("/proc")

_folder: Path | None = None
_lock: int | None = None
# The import workers' thread and the main thread (test runs) ask for the folder at the same
# moment: unguarded, each made one, and the children given the marker of the folder that lost
# were neither killed nor removed at exit.
_creating = threading.Lock()


def run_dir() -> Path:
    """This process's run folder, created (and locked, and removed at exit) on first use."""
    global _folder, _lock
    with _creating:
        if _folder is None:
            folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
            _lock = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            fcntl.flock(_lock, fcntl.LOCK_EX)
            _folder = folder
            atexit.register(cleanup)
        return _folder


def bytecode_cache() -> Path:
    """Where workers and test processes cache bytecode: never in the project.

    One cache per user, like pip's or pre-commit's: ``sys.pycache_prefix`` makes Python ignore
    the ``__pycache__`` folders of the standard library and site-packages too, so a cache per
    project made every new project recompile pytest, coverage and the standard library
    (about 2 s of CPU). Bytecode is keyed by source path and mtime, so sharing it is safe.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lockgate" / "pycache"


def _shadow(folder: Path) -> Path:
    """Where the bytecode of the sandboxes in a run folder is cached (the cache mirrors source
    paths): it goes with the folder, or every run would leave its own copy behind."""
    return bytecode_cache() / os.path.realpath(folder).lstrip(os.sep)


def marker() -> dict[str, str]:
    """The environment entry every child process of this run carries."""
    return {MARKER: run_dir().name}


def _marked(name: str) -> list[int]:
    """Live processes other than this one whose environment carries run ``name``."""
    if not _PROC.is_dir():
        return []
    entry, me = f"{MARKER}={name}".encode(), os.getpid()
    found = []
    for pid in filter(str.isdigit, os.listdir(_PROC)):
        try:
            environ = (_PROC / pid / "environ").read_bytes()
        except OSError:  # gone meanwhile, a zombie, or another user's
            continue
        if int(pid) != me and entry in environ.split(b"\0"):
            found.append(int(pid))
    return found


def _kill_marked(name: str) -> None:
    # A process may start another between the scan and the kill: scan until none is left.
    for _ in range(10):
        victims = _marked(name)
        if not victims:
            return
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def kill_all() -> None:
    """Kill every process this run started, and theirs (those that kept the marker)."""
    if _folder is not None:
        _kill_marked(_folder.name)


def cleanup() -> None:
    """Kill this run's processes and remove its folder."""
    global _folder, _lock
    if _folder is None:
        return
    kill_all()
    shutil.rmtree(_folder, ignore_errors=True)
    shutil.rmtree(_shadow(_folder), ignore_errors=True)
    if _lock is not None:
        os.close(_lock)
    _folder = _lock = None


def _owner_alive(folder: Path) -> bool:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return True  # not ours to judge (or gone already)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True  # its owner holds the lock
    finally:
        os.close(fd)
    # An unlocked folder may be one being created this instant: its owner's pid is in the name.
    pid = owner(folder.name)
    if not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    return True  # alive, or another user's: keep it


def sweep() -> None:
    """Kill the processes and remove the folders of runs whose lockgate is gone."""
    try:
        entries = os.scandir(tempfile.gettempdir())
    except OSError:
        return
    with entries:
        dead = [
            Path(e.path)
            for e in entries
            if e.name.startswith(PREFIX) and e.is_dir(follow_symlinks=False)
        ]
    for folder in dead:
        if folder != _folder and not _owner_alive(folder):
            _kill_marked(folder.name)
            shutil.rmtree(_shadow(folder), ignore_errors=True)
            shutil.rmtree(folder, ignore_errors=True)
