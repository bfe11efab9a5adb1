"""Features of solo."""
