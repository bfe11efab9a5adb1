import pytest

from pkg import a


@pytest.mark.declared
def test_used_by_a():
    assert a.used_by_a() == 1
