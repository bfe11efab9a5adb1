from zoo.features.ctor_args import CtorArgsFeature


def test_address():
    assert CtorArgsFeature("localhost", 8080).address() == "localhost:8080"
