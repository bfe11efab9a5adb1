"""Hammer."""


class Nail:
    """Not a tool."""


class HammerTool:
    """Hits nails."""
