from shop.features.cart import CartService


def test_total():
    cart = CartService()
    cart.add("tea", 450, 2)
    cart.add("mug", 1200)
    assert cart.total() == "21.00"
