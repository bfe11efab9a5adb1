"""A top-level helper at the project root, imported by name."""

WHERE = "root"
