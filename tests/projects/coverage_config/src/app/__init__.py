"""A tool with a debugging helper the project excludes from coverage."""
