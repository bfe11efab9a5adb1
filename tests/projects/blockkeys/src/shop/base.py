"""The base class every test imports through the conftest: its closure holds the helpers."""

from shop import text, util


class Base:
    """Holds the helper modules."""

    modules = (util, text)
