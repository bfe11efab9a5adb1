"""healthy: Passes every layer."""


class HealthyFeature:
    """Passes every layer."""

    def __init__(self) -> None:
        self.ready = True

    def run(self, value: int) -> int:
        """Double ``value``."""
        return value * 2
