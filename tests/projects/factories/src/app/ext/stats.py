"""Counted by the crawler."""

from app.ext.base import Built


class StatsExt(Built):
    """Built by the generic factory."""
