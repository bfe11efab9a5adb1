from app.alpha import AlphaPart


def test_old_size():
    assert AlphaPart().size() == 0, "excluded: tests_exclude removes this file"
