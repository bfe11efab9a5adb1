"""Tax: rates by region."""


class TaxService:
    """Knows the tax rate of each region."""

    def regions(self) -> list[str]:
        """The regions with a rate of their own."""
        return ["eu", "uk", "us"]

    def rate(self, region: str) -> int:
        """The rate of ``region`` in percent (0 where none is known)."""
        if region == "eu":
            return 20
        if region == "uk":
            return 20
        if region == "us":
            return 7
        return 0
