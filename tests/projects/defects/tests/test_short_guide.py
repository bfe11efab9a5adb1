from zoo.features.short_guide import ShortGuideFeature


def test_run():
    assert ShortGuideFeature().run(2) == 4
