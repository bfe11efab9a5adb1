"""short_guide: Its guide is shorter than min_chars."""


class ShortGuideFeature:
    """Its guide is shorter than min_chars."""

    def __init__(self) -> None:
        self.ready = True

    def run(self, value: int) -> int:
        """Double ``value``."""
        return value * 2
