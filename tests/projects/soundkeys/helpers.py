"""A top-level helper at the project root (a src root comes first on sys.path)."""

WHERE = "root"
