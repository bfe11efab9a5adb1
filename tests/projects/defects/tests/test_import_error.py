from zoo.features.import_error import ImportErrorFeature


def test_run():
    assert ImportErrorFeature().run(2) == 4
