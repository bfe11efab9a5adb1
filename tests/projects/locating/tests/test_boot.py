from locating.boot import BootService


def test_starts():
    assert BootService().started()
