from app.widgets import GoodWidget


def test_size():
    assert GoodWidget().size() == 1
