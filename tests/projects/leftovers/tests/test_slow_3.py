import time

from app.features.slow import SlowService


def test_one():
    time.sleep(0.5)
    assert SlowService().answer() == 1


def test_two():
    time.sleep(0.5)
