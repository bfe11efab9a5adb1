"""Summary: a one-line digest of a ticket for list views and hand-overs."""

from __future__ import annotations

from helpdesk.agents.base import BaseAgent
from helpdesk.models import Ticket
from helpdesk.text import sentences, truncate


class SummaryAgent(BaseAgent):
    """Writes ``ticket.summary`` from the first sentences of the body."""

    name = "summary"

    def __init__(self, max_sentences: int = 2, max_chars: int = 160) -> None:
        self.max_sentences = max_sentences
        self.max_chars = max_chars

    def summarize(self, text: str) -> str:
        """The first ``max_sentences`` sentences, at most ``max_chars`` long."""
        picked = sentences(text)[: self.max_sentences]
        return truncate(" ".join(picked), self.max_chars)

    def handle(self, ticket: Ticket) -> Ticket:
        ticket.summary = self.summarize(ticket.body or ticket.subject)
        return ticket
