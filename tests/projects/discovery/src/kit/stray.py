"""Outside every feature table."""


class StrayWidget:
    """Matches *Widget but lives outside the configured paths."""
