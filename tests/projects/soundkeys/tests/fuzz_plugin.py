"""A pytest plugin named in conftest.py's pytest_plugins."""

import pytest


@pytest.fixture
def agent_name():
    return "ada"
