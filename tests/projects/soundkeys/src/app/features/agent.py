"""Agents: counting from a base, greeting, resetting."""

from app.build.words import GREETING


class AgentService:
    """Counts from a base and greets."""

    def __init__(self) -> None:
        self.resets = 0

    def count(self, base: int) -> int:
        """``base`` plus two."""
        return base + 2

    def greet(self, name: str) -> str:
        """A greeting for ``name``."""
        return f"{GREETING}, {name}"

    def reset(self) -> int:
        """Start over; returns how often that happened."""
        self.resets += 1
        if self.resets > 1:
            return self.resets
        return 1
