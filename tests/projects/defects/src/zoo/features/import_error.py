"""import_error: the module raises RuntimeError right after the class (deliberate defect scenario)."""


class ImportErrorFeature:
    """Raises at import."""

    def __init__(self) -> None:
        self.ready = True

    def run(self, value: int) -> int:
        """Double ``value``."""
        return value * 2


raise RuntimeError("boom at import")
