"""unnamed: the constructor needs a name."""


class UnnamedGadget:
    """Greets by name."""

    def __init__(self, name: str) -> None:
        self.name = name
