"""A project that finds its root through an environment variable, as many do."""
