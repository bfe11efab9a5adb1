from zoo.features.hang import HangFeature


def test_run():
    assert HangFeature().run(2) == 4
