"""What a remote backend raises: the client turns each into one warning, never a failed run."""

from __future__ import annotations


class RemoteError(Exception):
    """The remote could not be read or written: down, slow, or refusing."""


class WriteRefused(RemoteError):
    """The remote lets this client read but not write."""
