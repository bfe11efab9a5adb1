"""Priority: decide how fast a ticket needs an answer."""

from __future__ import annotations

from helpdesk.agents.base import BaseAgent
from helpdesk.models import Ticket
from helpdesk.text import contains_any

URGENT_WORDS = ("urgent", "asap", "immediately", "critical", "blocked")
BASE_PRIORITY = {"outage": 1, "billing": 2, "account": 2, "shipping": 3}


class PriorityAgent(BaseAgent):
    """Sets ``ticket.priority`` (1 urgent … 4 low) from category, wording and age."""

    name = "priority"

    def __init__(self, overdue_days: int = 5) -> None:
        self.overdue_days = overdue_days

    def rate(self, ticket: Ticket) -> int:
        """The priority the ticket deserves."""
        priority = BASE_PRIORITY.get(ticket.category, 4)
        if contains_any(ticket.text, URGENT_WORDS):
            priority -= 1
        if ticket.age_days >= self.overdue_days:
            priority -= 1
        return max(priority, 1)

    def handle(self, ticket: Ticket) -> Ticket:
        ticket.priority = self.rate(ticket)
        return ticket
