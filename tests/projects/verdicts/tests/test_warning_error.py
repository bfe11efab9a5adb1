import warnings


class TestWithInit:
    def __init__(self):
        pass

    def test_never(self):
        pass


def test_fine():
    pass
