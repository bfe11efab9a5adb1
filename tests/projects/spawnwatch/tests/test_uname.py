from kit.features.uname import UnameService


def test_uname():
    assert UnameService().run() == 1
