"""Escalation: hand tickets to the on-call team when they cannot wait."""

from __future__ import annotations

from helpdesk.agents.base import BaseAgent
from helpdesk.models import Ticket


class EscalationAgent(BaseAgent):
    """Marks a ticket ``escalated`` when it is urgent, angry or has waited too long."""

    name = "escalation"

    def __init__(self, threshold: int = 1, max_age_days: int = 3) -> None:
        self.threshold = threshold
        self.max_age_days = max_age_days

    def should_escalate(self, ticket: Ticket) -> bool:
        """True when the ticket needs a human now."""
        if ticket.status != "open":
            return False
        return (
            ticket.priority <= self.threshold
            or "angry" in ticket.tags
            or ticket.age_days > self.max_age_days
        )

    def handle(self, ticket: Ticket) -> Ticket:
        if self.should_escalate(ticket):
            ticket.status = "escalated"
        return ticket
