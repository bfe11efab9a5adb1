"""Sentiment: notice angry customers before they leave."""

from __future__ import annotations

from helpdesk.agents.base import BaseAgent
from helpdesk.models import Ticket
from helpdesk.text import words

POSITIVE = frozenset({"thanks", "thank", "great", "love", "happy", "awesome", "helpful"})
NEGATIVE = frozenset(
    {"angry", "terrible", "awful", "unacceptable", "worst", "cancel", "disappointed", "useless"}
)


class SentimentAgent(BaseAgent):
    """Scores the tone of a ticket from -1 (furious) to 1 (delighted) and tags angry ones."""

    name = "sentiment"

    def __init__(self, angry_below: float = -0.3) -> None:
        self.angry_below = angry_below

    def score(self, text: str) -> float:
        """Balance of positive and negative words, in [-1, 1]."""
        found = words(text)
        positive = sum(1 for w in found if w in POSITIVE)
        negative = sum(1 for w in found if w in NEGATIVE)
        if positive + negative == 0:
            return 0.0
        return (positive - negative) / (positive + negative)

    def handle(self, ticket: Ticket) -> Ticket:
        if self.score(ticket.text) < self.angry_below and "angry" not in ticket.tags:
            ticket.tags.append("angry")
        return ticket
