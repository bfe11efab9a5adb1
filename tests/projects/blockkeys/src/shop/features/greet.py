from shop import util


class GreetService:
    """Greets."""

    def run(self):
        return util.greet()

    def double(self):
        return util.doubled()
