"""hang: the module sleeps for ten days at import (deliberate defect scenario)."""

import time


class HangFeature:
    """Hangs at import."""

    def __init__(self) -> None:
        self.ready = True

    def run(self, value: int) -> int:
        """Double ``value``."""
        return value * 2


time.sleep(10**6)
