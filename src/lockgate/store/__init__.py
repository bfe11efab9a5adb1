"""The SQLite result store: every SQL statement of lockgate lives in this package."""
