import pytest


def test_passes():
    assert True


def test_fails():
    assert 1 == 2


def test_skipped():
    pytest.skip("not today")


def test_setup_error(broken_fixture):
    pass
