from app.alpha import AlphaPart


def test_size():
    assert AlphaPart().size() == 5
