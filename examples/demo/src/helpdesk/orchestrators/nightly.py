"""Nightly: housekeeping that runs at 02:00 from the scheduler."""

from __future__ import annotations

from collections.abc import Sequence

from helpdesk.agents.escalation import EscalationAgent
from helpdesk.models import Ticket


class NightlyOrchestrator:
    """Closes resolved tickets that went quiet and escalates open ones that waited too long."""

    def __init__(self, close_after_days: int = 7) -> None:
        self.close_after_days = close_after_days
        self.escalation = EscalationAgent(threshold=0)

    def run(self, tickets: Sequence[Ticket]) -> dict[str, int]:
        """Apply the nightly rules and report how many tickets each one touched."""
        report = {"closed": 0, "escalated": 0}
        for ticket in tickets:
            if ticket.status == "resolved" and ticket.age_days >= self.close_after_days:
                ticket.status = "closed"
                report["closed"] += 1
            elif self.escalation.handle(ticket).status == "escalated":
                report["escalated"] += 1
        return report
