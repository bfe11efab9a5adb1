"""The plugins, each in a module of its own."""
