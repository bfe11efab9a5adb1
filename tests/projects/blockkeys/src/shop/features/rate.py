from shop import util


class RateService:
    """A cached rate."""

    def run(self):
        return util.rate()
