from app import engine


def test_plug_name():
    assert engine.load("app.plugext.PlugExt").name() == "plug"
