"""A bare helper beside the test that imports it (this folder has no __init__.py)."""

EXPECTED = 12
