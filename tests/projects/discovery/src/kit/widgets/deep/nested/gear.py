"""Gear, deep in the tree."""


class GearWidget:
    """A gear (internal)."""
