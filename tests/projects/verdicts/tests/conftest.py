import pytest

collect_ignore = ["test_ignored.py"]


@pytest.fixture
def broken():
    raise RuntimeError("fixture broke")


@pytest.fixture
def bad_teardown():
    yield 1
    raise RuntimeError("teardown broke")
