from zoo.features.exits import ExitsFeature


def test_run():
    assert ExitsFeature().run(2) == 4
