import pytest

from portal.dashboard import DashboardView


@pytest.mark.parametrize("user", ["ada", "bob", "cy"])
def test_greets(user):
    assert f"Hello {user}" in DashboardView().render(user, [])


@pytest.mark.parametrize("items", [["a"], ["a", "b"], ["x", "y", "z"]])
def test_lists(items):
    page = DashboardView().render("ada", items)
    assert all(f"<li>{i.upper()}</li>" in page for i in items)


def test_empty():
    assert "nothing yet" in DashboardView().render("ada", [])
