import os
import time

from app.features.spawner import SpawnerService


def test_answer():
    if os.environ.get("LEFTOVER_HANG"):
        time.sleep(3600)
    assert SpawnerService().answer() == 42
