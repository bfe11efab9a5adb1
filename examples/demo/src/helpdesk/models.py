"""Plain data types shared by every agent and orchestrator."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Ticket:
    """A customer request as it arrives from any channel.

    ``priority`` runs from 1 (urgent) to 4 (low).
    """

    id: int
    subject: str
    body: str = ""
    customer: str = "anonymous"
    channel: str = "email"
    category: str = "general"
    priority: int = 3
    status: str = "open"
    age_days: int = 0
    summary: str = ""
    tags: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Subject and body together, as most agents read them."""
        return f"{self.subject}. {self.body}".strip()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Ticket:
        """Build a ticket from a JSON record, ignoring unknown fields."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class Message:
    """One outgoing e-mail."""

    to: str
    subject: str
    body: str


@dataclass
class Outbox:
    """Collects outgoing messages; production hands them to an SMTP relay."""

    sender: str = "support@example.com"
    sent: list[Message] = field(default_factory=list)

    def send(self, to: str, subject: str, body: str) -> Message:
        """Queue one message and return it."""
        message = Message(to=to, subject=subject, body=body)
        self.sent.append(message)
        return message
