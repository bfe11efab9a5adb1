import os

from app.flaky import FlakyPart


def test_fails_the_first_time() -> None:
    state = os.path.join(os.environ["SLOWTESTS_LOG"], "flaky.state")
    first = not os.path.exists(state)
    open(state, "a").close()
    assert FlakyPart().answer() == 42
    assert not first, "fails on its first run only"
