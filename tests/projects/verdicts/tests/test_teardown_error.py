def test_teardown(bad_teardown):
    assert bad_teardown == 1
