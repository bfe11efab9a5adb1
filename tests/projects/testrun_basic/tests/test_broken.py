import nope  # noqa: F401


def test_never_runs():
    pass
