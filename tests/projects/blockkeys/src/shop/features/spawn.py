import os
import subprocess
import sys


class SpawnService:
    """Runs a helper in a child process."""

    def run(self, code):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        return subprocess.run([sys.executable, "-c", code], env=env).returncode
