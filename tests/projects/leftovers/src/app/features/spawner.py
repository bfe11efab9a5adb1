"""A module that starts processes when it is imported."""

import sys

from app.spawn import sleepers

_SLEEPERS = sleepers("pytest" if "pytest" in sys.modules else "import")


class SpawnerService:
    """Answers, after starting processes at import."""

    def answer(self) -> int:
        return 42
