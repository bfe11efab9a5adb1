"""Money helpers shared by the cart and pricing services (amounts are integer cents)."""


def cents(amount: str) -> int:
    """Parse ``"12.34"`` into 1234."""
    whole, _, frac = amount.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def fmt(value: int) -> str:
    """Format 1234 as ``"12.34"``."""
    return f"{value // 100}.{value % 100:02d}"
