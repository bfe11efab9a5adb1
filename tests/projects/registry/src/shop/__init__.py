"""A shop with plugins loaded by name."""
