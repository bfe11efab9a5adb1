"""Parts whose tests pytest finds by the project's python_files."""
