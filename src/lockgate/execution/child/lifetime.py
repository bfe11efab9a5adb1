"""A child process's life bound to its parent's: when the parent dies, its process group goes."""

from __future__ import annotations

import ctypes
import os
import signal

from lockgate.execution.child.marker import MARKER, owner

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """On Linux, take this process's group down when ``parent`` dies (SIGKILL included).

    The kernel sends SIGTERM at the parent's death; the handler kills the whole process group,
    so what this process started goes too. A SIGTERM while the parent lives keeps its meaning.
    """

    def on_term(signum: int, frame: object) -> None:
        if os.getppid() == parent:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
        os.killpg(0, signal.SIGKILL)

    signal.signal(signal.SIGTERM, on_term)
    if os.path.isdir("/proc"):  # Linux: prctl is there
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # it died before the request was made
        os.killpg(0, signal.SIGKILL)


def die_with_owner() -> None:
    """``die_with_parent`` for a process the run's owner started (it carries the marker)."""
    die_with_parent(int(owner(os.environ[MARKER])))
