"""Kills the pytest process at collection: a plain `pytest` run of this project dies.

Belongs to no feature (imports no feature module).
"""

import os

os._exit(1)


def test_never_runs():
    raise AssertionError("unreachable")
