"""ctor_raises: the constructor raises ValueError (deliberate defect scenario)."""


class CtorRaisesFeature:
    """Refuses to be constructed without configuration."""

    def __init__(self) -> None:
        raise ValueError("CtorRaisesFeature is not configured")

    @staticmethod
    def run(value: int) -> int:
        """Double ``value``."""
        return value * 2
