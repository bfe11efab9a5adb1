from app.dump import DumpTool


def test_run():
    assert DumpTool().run() == 1
