"""Plug-in widgets."""
