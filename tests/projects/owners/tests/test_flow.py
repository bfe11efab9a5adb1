from app import engine


def test_log_level():
    assert engine.load("app.logext.LogExt").level() == "info"
