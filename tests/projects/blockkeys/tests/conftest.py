import pytest

from shop import util
from shop.base import Base


@pytest.fixture(scope="session")
def seed():
    return util.seed() + len(Base.modules) * 0
