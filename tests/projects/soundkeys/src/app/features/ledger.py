"""Ledger: gross amounts from the VAT rate in rates.json."""

import json
from pathlib import Path

import ledger_ext

try:
    import ledger_fast
except ImportError:
    ledger_fast = None

RATES = json.loads((Path(__file__).parent / "rates.json").read_text(encoding="utf-8"))
LIMIT = int("42")


class LedgerService:
    """Adds VAT to net amounts."""

    def gross(self, net: int) -> int:
        """``net`` plus VAT."""
        return net + net * RATES["vat"] // 100

    def fee(self) -> int:
        """The fee the external library charges."""
        return ledger_ext.FEE

    def mode(self) -> str:
        """Which implementation runs."""
        return "fast" if ledger_fast else "plain"

    def limit(self) -> int:
        """The booking limit."""
        return LIMIT
