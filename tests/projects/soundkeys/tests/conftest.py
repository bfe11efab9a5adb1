import fuzz_support
import pytest

pytest_plugins = ["fuzz_plugin"]


@pytest.fixture
def base():
    return fuzz_support.BASE * 1
