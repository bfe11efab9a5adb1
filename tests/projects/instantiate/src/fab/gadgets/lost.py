"""lost: the constructor needs a name."""


class LostGadget:
    """Greets by name."""

    def __init__(self, name: str) -> None:
        self.name = name
