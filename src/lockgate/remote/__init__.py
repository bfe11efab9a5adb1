"""The shared remote store: a cache that CI fills and every clone reads (see docs/design.md)."""
