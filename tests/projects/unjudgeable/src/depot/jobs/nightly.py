"""Helpers for the nightly run; no class here ends in ``Job``."""


class NightlySchedule:
    """When the nightly run starts (a plain value, not a job)."""

    hour = 2
