"""Code that runs in child processes: the standard library (and coverage, pytest) only."""
