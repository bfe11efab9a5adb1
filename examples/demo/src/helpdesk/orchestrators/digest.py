"""Digest: the morning overview the team lead reads first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from helpdesk.models import Ticket
from helpdesk.text import truncate


class DigestOrchestrator:
    """Builds a plain-text digest of a batch of tickets: counts per category and the top few."""

    def __init__(self, top: int = 3) -> None:
        self.top = top

    def counts(self, tickets: Sequence[Ticket]) -> dict[str, int]:
        """Open tickets per category, most frequent first."""
        counter = Counter(t.category for t in tickets if t.status != "closed")
        return dict(counter.most_common())

    def run(self, tickets: Sequence[Ticket]) -> str:
        """The digest text."""
        lines = [f"{len(tickets)} tickets"]
        lines += [f"  {category}: {n}" for category, n in self.counts(tickets).items()]
        urgent = sorted(tickets, key=lambda t: (t.priority, -t.age_days))[: self.top]
        if urgent:
            lines.append("most urgent:")
            lines += [f"  #{t.id} P{t.priority} {truncate(t.subject, 40)}" for t in urgent]
        return "\n".join(lines)
