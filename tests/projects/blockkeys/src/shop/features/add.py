from shop import util


class AddService:
    """Adds."""

    def run(self, a, b):
        return util.add(a, b)
