from shop.registry import undo


def test_undo_through_gamma() -> None:
    assert undo(["gamma"], 6) == 2
