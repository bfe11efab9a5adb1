from shop.features.table import TableService


def test_table(seed):
    assert TableService().run() == 3
    assert seed == 7
