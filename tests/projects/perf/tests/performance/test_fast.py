from speed.features.fast import FastFeature


def test_fast_runs_quickly():
    assert FastFeature().run() == 1
