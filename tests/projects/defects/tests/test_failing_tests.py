from zoo.features.failing_tests import FailingTestsFeature


def test_run_triples():
    assert FailingTestsFeature().run(2) == 6  # deliberately wrong: run doubles
