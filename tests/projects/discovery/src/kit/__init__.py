"""A kit of widgets and tools."""
