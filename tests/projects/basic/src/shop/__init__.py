"""shop: a tiny web-shop back end."""
