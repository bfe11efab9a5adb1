"""plain: a constructor with defaults only."""


class PlainGadget:
    """Counts from ``start``."""

    def __init__(self, start: int = 0) -> None:
        self.value = start
