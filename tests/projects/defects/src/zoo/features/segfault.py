"""segfault: the module reads address 0 with ctypes at import (deliberate defect scenario)."""

import ctypes


class SegfaultFeature:
    """Crashes the interpreter at import."""

    def __init__(self) -> None:
        self.ready = True

    def run(self, value: int) -> int:
        """Double ``value``."""
        return value * 2


ctypes.string_at(0)
