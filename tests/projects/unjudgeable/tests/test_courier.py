from depot.features.agents.courier import CourierService


def test_ship():
    courier = CourierService()
    assert courier.ship(2) == 2
    assert courier.ship(1) == 3
