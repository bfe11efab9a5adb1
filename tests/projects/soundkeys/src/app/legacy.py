"""A plain module (a package of the same name would shadow it)."""

KIND = "module"
