"""The plugins, each loaded by name through shop.registry."""
