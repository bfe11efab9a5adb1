"""Pricing: discounts."""

from shop.money import cents, fmt


class PricingService:
    """Applies a percentage discount to an amount given as text."""

    def __init__(self, percent: int = 10) -> None:
        self.percent = percent

    def discounted(self, amount: str) -> str:
        """``amount`` minus the discount, formatted."""
        value = cents(amount)
        return fmt(value - value * self.percent // 100)
