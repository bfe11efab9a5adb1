from shop import tables
from shop.features.mul import MulService


def test_mul():
    assert MulService().run(2, 3) == 6
    assert tables.TABLE == {"size": 3}
