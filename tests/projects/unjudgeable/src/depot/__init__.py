"""depot: a small warehouse back end."""
