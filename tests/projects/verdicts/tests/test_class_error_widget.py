import pytest

from app.broken import ClassErrorWidget


def test_ok():
    assert ClassErrorWidget().size() == 2


class TestBroken:
    @pytest.mark.parametrize("nope", [1])
    def test_x(self):
        pass
