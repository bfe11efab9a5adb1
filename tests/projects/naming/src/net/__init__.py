"""Networking."""
