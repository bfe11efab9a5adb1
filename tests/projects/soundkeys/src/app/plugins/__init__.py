"""Optional plugins, imported by name when present."""
