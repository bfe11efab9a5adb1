from zoo.features.segfault import SegfaultFeature


def test_run():
    assert SegfaultFeature().run(2) == 4
