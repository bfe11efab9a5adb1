"""Builds a large buffer in its constructor."""


class HungryFeature:
    """Holds 80 MB."""

    def __init__(self) -> None:
        self.buffer = bytearray(80 * 1024 * 1024)
        for i in range(0, len(self.buffer), 4096):
            self.buffer[i] = 1  # touch every page so it is really resident
