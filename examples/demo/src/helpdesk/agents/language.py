"""Language: detect which language a ticket is written in."""

from __future__ import annotations

from helpdesk.agents.base import BaseAgent
from helpdesk.models import Ticket
from helpdesk.text import words

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset({"the", "and", "is", "my", "not", "with", "please", "you"}),
    "de": frozenset({"der", "die", "das", "und", "ist", "nicht", "mit", "bitte"}),
    "fr": frozenset({"le", "la", "les", "et", "est", "pas", "avec", "merci"}),
    "es": frozenset({"el", "los", "las", "y", "es", "no", "con", "gracias"}),
    "nl": frozenset({"de", "het", "een", "en", "is", "niet", "met", "alstublieft"}),
}
TEAMS = {"de": "dach", "fr": "france", "es": "iberia", "nl": "benelux"}


class LanguageAgent(BaseAgent):
    """Tags a ticket with ``lang:<code>`` and routes foreign-language tickets to a local team."""

    name = "language"

    def __init__(self, default: str = "en", min_hits: int = 2) -> None:
        self.default = default
        self.min_hits = min_hits

    def supported(self) -> list[str]:
        """Language codes this agent can recognise."""
        return sorted(STOPWORDS)

    def detect(self, text: str) -> str:
        """The language whose stop words occur most often, or the default."""
        found = words(text)
        best, best_hits = self.default, 0
        for code, stop in STOPWORDS.items():
            hits = sum(1 for w in found if w in stop)
            if hits > best_hits:
                best, best_hits = code, hits
        if best_hits < self.min_hits:
            return self.default
        return best

    def team_for(self, code: str) -> str | None:
        """The regional team that answers tickets in ``code``, if any."""
        if code == self.default:
            return None
        return TEAMS.get(code)

    def handle(self, ticket: Ticket) -> Ticket:
        code = self.detect(ticket.text)
        ticket.tags.append(f"lang:{code}")
        team = self.team_for(code)
        if team is not None:
            ticket.tags.append(f"team:{team}")
        return ticket
