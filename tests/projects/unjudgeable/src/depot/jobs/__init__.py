"""Scheduled work (none yet)."""
