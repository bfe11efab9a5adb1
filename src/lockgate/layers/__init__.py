"""The validation layers: each names its inputs (what its key hashes) and judges a feature."""

from __future__ import annotations
