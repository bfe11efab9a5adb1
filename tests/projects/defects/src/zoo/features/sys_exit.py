"""sys_exit: the module calls sys.exit(4) at import (deliberate defect scenario)."""

import sys


class SysExitFeature:
    """Calls sys.exit(4) at import."""

    def __init__(self) -> None:
        self.ready = True

    def run(self, value: int) -> int:
        """Double ``value``."""
        return value * 2


sys.exit(4)
