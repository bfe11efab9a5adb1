"""Logs through the engine."""


class LogExt:
    """Reached by the tests only through app.engine."""

    def level(self) -> str:
        return "info"
