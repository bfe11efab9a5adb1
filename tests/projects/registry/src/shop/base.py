"""What every plugin is."""


class Base:
    """A plugin with its settings."""

    def __init__(self, settings: dict[str, int] | None = None) -> None:
        self.settings = settings or {}
