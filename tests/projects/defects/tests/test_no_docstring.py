from zoo.features.no_docstring import NoDocstringFeature


def test_run():
    assert NoDocstringFeature().run(2) == 4
