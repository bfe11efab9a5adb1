"""The one error type a user sees."""

from __future__ import annotations


class LockgateError(Exception):
    """A problem the user can fix (bad configuration, bad usage); exits 2 with one line."""
