"""Saw: in no feature table (the tool table lists hammer.py only)."""


class SawTool:
    """Cuts."""
