import pytest


@pytest.fixture
def broken_fixture():
    raise RuntimeError("setup fails")
