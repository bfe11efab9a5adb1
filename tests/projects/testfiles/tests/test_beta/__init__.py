from app.beta import BetaPart


def test_size():
    assert BetaPart().size() == 4
