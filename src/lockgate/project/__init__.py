"""The project as lockgate reads it: configuration, files, facts, blocks, imports, features."""
