"""Pipelines: align (the no-change fast path, else the full path), deploy, warm, shard."""
