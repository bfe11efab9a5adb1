from zoo.features.low_coverage import LowCoverageFeature


def test_run():
    assert LowCoverageFeature().run(2) == 4
