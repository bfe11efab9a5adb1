def test_imports_nothing() -> None:
    assert 1 + 1 == 2
