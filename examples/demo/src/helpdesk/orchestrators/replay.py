"""Replay: a developer tool that re-runs recorded tickets to spot behaviour changes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from helpdesk.models import Ticket
from helpdesk.orchestrators.ticket import TicketOrchestrator


class ReplayOrchestrator:
    """Feeds recorded tickets through a fresh pipeline and lists every changed decision."""

    FIELDS = ("category", "priority", "status")

    def __init__(self, pipeline: TicketOrchestrator | None = None) -> None:
        self.pipeline = pipeline or TicketOrchestrator()

    def run(self, records: Iterable[dict[str, Any]]) -> list[str]:
        """One line per field whose value differs from the recording."""
        changes = []
        for record in records:
            fresh = Ticket.from_dict({**record.get("input", {}), "id": record["id"]})
            fresh = self.pipeline.process(fresh)
            for name in self.FIELDS:
                expected = record.get("expected", {}).get(name)
                if expected is not None and getattr(fresh, name) != expected:
                    changes.append(f"#{record['id']} {name}: {expected!r} -> {getattr(fresh, name)!r}")
        return changes
