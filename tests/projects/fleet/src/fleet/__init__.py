"""A fleet of generated features."""
