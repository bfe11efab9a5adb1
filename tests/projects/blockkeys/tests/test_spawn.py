from shop.features.spawn import SpawnService


def test_spawn():
    assert SpawnService().run("from shop import util; assert util.mul(2, 3) == 6") == 0
