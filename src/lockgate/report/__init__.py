"""Ways of showing a result: console table, JSON, HTML."""
