"""exits: the module calls os._exit(3) at import (deliberate defect scenario)."""

import os


class ExitsFeature:
    """Kills its process with os._exit(3) at import."""

    def __init__(self) -> None:
        self.ready = True

    def run(self, value: int) -> int:
        """Double ``value``."""
        return value * 2


os._exit(3)
