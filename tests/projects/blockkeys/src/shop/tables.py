"""A table built when this module is imported."""

from shop import util

TABLE = util.make_table()
