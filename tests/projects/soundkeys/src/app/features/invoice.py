"""Invoices: totals with tax."""

from app.features.tax import TaxService


class InvoiceService:
    """Totals an invoice."""

    def total(self, net: int, region: str) -> int:
        """``net`` plus the region's tax."""
        return net + net * TaxService().rate(region) // 100

    @staticmethod
    def cases() -> list[tuple[str, int]]:
        """(region, rate) pairs every invoice test is checked against."""
        tax = TaxService()
        return [(region, tax.rate(region)) for region in ("eu", "uk", "us", "xx")]
