def test_setup(broken):
    pass


def test_fine():
    pass
