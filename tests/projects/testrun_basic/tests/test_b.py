from pkg import a, b


def test_b_func():
    assert b.b_func() == 2


def test_a_from_b():
    assert a.used_by_b_only() == 2
