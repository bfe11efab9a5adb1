"""Widgets whose tests break in ways pytest reports as errors, not failures."""
