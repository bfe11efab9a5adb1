"""Quantities and amounts shared by every service (amounts are integer cents)."""


def fmt(value: int) -> str:
    """Format 1234 as ``"12.34"``."""
    return f"{value // 100}.{value % 100:02d}"


def positive(quantity: int) -> int:
    """``quantity`` itself; ValueError unless it is above zero."""
    if quantity <= 0:
        raise ValueError(f"quantity must be positive, got {quantity}")
    return quantity
