from shop import util


class MulService:
    """Multiplies."""

    def run(self, a, b):
        return util.mul(a, b)
