"""Mail: acknowledge every ticket by e-mail."""

from __future__ import annotations

from helpdesk.agents.base import BaseAgent
from helpdesk.models import Message, Outbox, Ticket

PROMISES = {
    1: "An engineer is looking at it right now.",
    2: "We will get back to you within four hours.",
    3: "We will get back to you within one working day.",
}


class MailAgent(BaseAgent):
    """Sends an acknowledgement through ``outbox`` and tags the ticket ``acknowledged``."""

    name = "mail"

    def __init__(self, outbox: Outbox, signature: str = "— The support team") -> None:
        self.outbox = outbox
        self.signature = signature

    def reply(self, ticket: Ticket) -> str:
        """The acknowledgement text for ``ticket``."""
        promise = PROMISES.get(ticket.priority, "We will get back to you within three days.")
        return f"Hello {ticket.customer},\n\nThanks for your message. {promise}\n\n{self.signature}"

    def handle(self, ticket: Ticket) -> Ticket:
        if "acknowledged" not in ticket.tags:
            self.send(ticket)
            ticket.tags.append("acknowledged")
        return ticket

    def send(self, ticket: Ticket) -> Message:
        """Queue the acknowledgement in the outbox."""
        return self.outbox.send(ticket.customer, f"Re: {ticket.subject} [#{ticket.id}]", self.reply(ticket))
