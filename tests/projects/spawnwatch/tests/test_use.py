from kit.features.use import UseService


def test_use():
    assert UseService().run() == 1
