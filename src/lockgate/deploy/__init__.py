"""Deploy: the gates, the secret scan's baseline, the package, the git hooks."""
