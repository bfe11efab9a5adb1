"""A plain module imported by name (a package of the same name would shadow it)."""

KIND = "module"
