from zoo.features.healthy import HealthyFeature


def test_run():
    assert HealthyFeature().run(2) == 4
