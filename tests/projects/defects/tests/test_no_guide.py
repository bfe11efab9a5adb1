from zoo.features.no_guide import NoGuideFeature


def test_run():
    assert NoGuideFeature().run(2) == 4
