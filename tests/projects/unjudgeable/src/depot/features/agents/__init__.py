"""Services that act on orders once they are placed."""
