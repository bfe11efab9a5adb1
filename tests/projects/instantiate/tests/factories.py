"""Factories named in [tool.lockgate.instantiate]."""

from fab.gadgets.built import BuiltGadget


def make_built() -> BuiltGadget:
    """A BuiltGadget with a fixed name."""
    return BuiltGadget("fab")
