"""low_coverage: tests pass but cover well under 70% of this module (deliberate defect scenario)."""


class LowCoverageFeature:
    """A unit converter; only ``run`` is tested."""

    def __init__(self) -> None:
        self.ready = True

    def run(self, value: int) -> int:
        """Double ``value``."""
        return value * 2

    def convert(self, value: float, unit: str) -> float:
        """Convert ``value`` from ``unit`` to metres."""
        if unit == "m":
            return value
        if unit == "km":
            return value * 1000
        if unit == "cm":
            return value / 100
        if unit == "mm":
            return value / 1000
        if unit == "ft":
            return value * 0.3048
        if unit == "in":
            return value * 0.0254
        if unit == "mi":
            return value * 1609.344
        raise ValueError(f"unknown unit {unit!r}")

    def describe(self, value: float, unit: str) -> str:
        """Human-readable conversion."""
        metres = self.convert(value, unit)
        if metres >= 1000:
            return f"{metres / 1000:.2f} km"
        return f"{metres:.2f} m"
