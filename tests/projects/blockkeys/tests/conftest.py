import pytest

from shop import util
from shop.base import Base


@pytest.fixture(scope="session")
def offset():
    return len(Base.modules) * 0


@pytest.fixture(scope="session")
def seed(offset):
    return util.seed() + offset
