"""Pages rendered from Jinja templates."""
