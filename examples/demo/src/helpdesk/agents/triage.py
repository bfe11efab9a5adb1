"""Triage: put every incoming ticket into a category."""

from __future__ import annotations

from helpdesk.agents.base import BaseAgent
from helpdesk.models import Ticket
from helpdesk.text import words

CATEGORIES: dict[str, tuple[str, ...]] = {
    "billing": ("invoice", "refund", "charge", "charged", "payment", "price"),
    "outage": ("down", "outage", "error", "crash", "unavailable", "500"),
    "account": ("password", "login", "locked", "email", "username"),
    "shipping": ("delivery", "parcel", "shipping", "tracking", "arrived"),
}


class TriageAgent(BaseAgent):
    """Assigns a category to a ticket from keywords in its subject and body."""

    name = "triage"

    def __init__(self, categories: dict[str, tuple[str, ...]] | None = None) -> None:
        self.categories = dict(categories or CATEGORIES)

    def classify(self, text: str) -> str:
        """The category with the most keyword hits, or ``general``."""
        found = words(text)
        best, best_hits = "general", 0
        for category, keywords in self.categories.items():
            hits = sum(1 for word in found if word in keywords)
            if hits > best_hits:
                best, best_hits = category, hits
        return best

    def handle(self, ticket: Ticket) -> Ticket:
        ticket.category = self.classify(ticket.text)
        return ticket
