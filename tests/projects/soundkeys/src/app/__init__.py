"""app: services whose results depend on inputs beyond their import graph."""
