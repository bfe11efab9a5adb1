from zoo.features.unwired import UnwiredFeature


def test_run():
    assert UnwiredFeature().run(2) == 4
