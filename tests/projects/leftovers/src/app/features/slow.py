"""A feature whose tests take a few seconds."""


class SlowService:
    """Answers slowly in its tests."""

    def answer(self) -> int:
        return 1
