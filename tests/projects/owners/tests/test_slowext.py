import time

from app.slowext import SlowExt


def test_wait():
    time.sleep(SlowExt().wait())
