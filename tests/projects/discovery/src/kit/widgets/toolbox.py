"""Toolbox."""


class ToolGadget:
    """A gadget (matches the second pattern)."""
