"""Start two `sleep 777` processes named after $LEFTOVER_MARK and the caller."""

import os
import shutil
import subprocess


def sleepers(where: str) -> list[subprocess.Popen[bytes]]:
    """One sleeper in the caller's process group, one in a new session (out of every group)."""
    name = f"{os.environ.get('LEFTOVER_MARK', 'leftover-unset')}-{where}"
    sleep = shutil.which("sleep")
    return [
        subprocess.Popen([f"{name}-grouped", "777"], executable=sleep),
        subprocess.Popen([f"{name}-escaped", "777"], executable=sleep, start_new_session=True),
    ]
