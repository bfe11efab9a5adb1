"""A tiny plugin host."""
