from shop.features.source import SourceService


def test_source():
    assert "# five" in SourceService().run()
