from depot.features.orders import OrderService


def test_place():
    orders = OrderService()
    assert orders.place("bolt", 2) == 1
    assert orders.place("nut", 1) == 2
    assert orders.lines == [("bolt", 2), ("nut", 1)]
