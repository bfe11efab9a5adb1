"""The shop's services."""
