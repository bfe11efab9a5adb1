"""Ticket: the main pipeline every incoming ticket goes through."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from helpdesk.agents.base import BaseAgent
from helpdesk.agents.escalation import EscalationAgent
from helpdesk.agents.priority import PriorityAgent
from helpdesk.agents.summary import SummaryAgent
from helpdesk.agents.triage import TriageAgent
from helpdesk.models import Ticket


class TicketOrchestrator:
    """Runs each ticket through triage, priority, escalation and summary, in that order."""

    def __init__(self, agents: Sequence[BaseAgent] | None = None) -> None:
        if agents is None:
            agents = [TriageAgent(), PriorityAgent(), EscalationAgent(), SummaryAgent()]
        self.agents = list(agents)
        self.processed = 0

    def process(self, ticket: Ticket) -> Ticket:
        """Run every agent over one ticket."""
        for agent in self.agents:
            ticket = agent(ticket)
        self.processed += 1
        return ticket

    def run(self, tickets: Iterable[Ticket]) -> list[Ticket]:
        """Process a batch, most urgent first."""
        done = [self.process(ticket) for ticket in tickets]
        return sorted(done, key=lambda t: (t.priority, t.id))
