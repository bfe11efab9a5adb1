"""Orchestrators: run agents over batches of tickets."""
