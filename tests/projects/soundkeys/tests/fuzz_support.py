"""Imported by conftest.py (found through the folder pytest puts on sys.path)."""

BASE = 10
