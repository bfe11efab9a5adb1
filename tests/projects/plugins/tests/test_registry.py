from app.registry import load_all


def test_load_all() -> None:
    assert "alpha" in load_all()
