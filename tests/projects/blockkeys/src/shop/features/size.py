from shop import util


class SizeService:
    """A class attribute."""

    def run(self):
        return util.Config.size


class DocService:
    """A docstring read without a call."""

    def run(self):
        return util.documented.__doc__
