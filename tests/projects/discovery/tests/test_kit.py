from kit.widgets.shapes import SquareWidget


def test_square():
    assert SquareWidget().draw() == "[]"
