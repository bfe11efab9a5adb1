"""How a run's processes and its folder are known again: the marker and the folder's name.

Every process a run starts carries ``LOCKGATE_RUN=<name of the run's folder>`` in its
environment, and the folder is named ``lockgate-run-<pid of the run's lockgate>-…``
(:mod:`lockgate.execution.reaper` makes and sweeps it; child processes read the owner from it).
"""

from __future__ import annotations

MARKER = "LOCKGATE_RUN"
PREFIX = "lockgate-run-"


def owner(name: str) -> str:
    """The pid in run folder ``name``: the lockgate that made it (not digits for another name)."""
    return name[len(PREFIX) :].partition("-")[0]
