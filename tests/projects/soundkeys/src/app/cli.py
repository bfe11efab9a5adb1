"""Command line of the app (the ``app`` script)."""

from app.features.agent import AgentService
from app.features.invoice import InvoiceService
from app.features.ledger import LedgerService


def main() -> int:
    """Print a greeting, a gross amount and an invoice total."""
    print(AgentService().greet("world"))
    print(LedgerService().gross(100))
    print(InvoiceService().total(100, "eu"))
    return 0
