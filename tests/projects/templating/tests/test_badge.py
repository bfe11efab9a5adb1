from portal.badge import BadgeView


def test_badge():
    assert BadgeView().render("new").strip() == "[new]"
