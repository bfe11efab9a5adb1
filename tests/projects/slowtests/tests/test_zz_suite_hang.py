import time


def test_hangs_too() -> None:
    time.sleep(60)
