from shop.features.size import DocService, SizeService


def test_size(seed):
    assert SizeService().run() == 3
    assert seed == 7


def test_doc(seed):
    assert DocService().run() == "Doc text."
