"""built: the constructor needs a name."""


class BuiltGadget:
    """Greets by name."""

    def __init__(self, name: str) -> None:
        self.name = name
