import time

from app.slow import SlowPart


def test_hangs() -> None:
    assert SlowPart().answer() == 42
    time.sleep(60)
