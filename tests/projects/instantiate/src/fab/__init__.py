"""Gadget factory."""
