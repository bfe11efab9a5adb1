"""Agents: each one looks at a single ticket and enriches or acts on it."""
