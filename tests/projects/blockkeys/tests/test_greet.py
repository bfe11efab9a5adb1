from shop.features.greet import GreetService


def test_greet():
    assert GreetService().run() == "hi world"
    assert GreetService().double() == 42
