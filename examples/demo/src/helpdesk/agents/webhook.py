"""Webhook: forward tickets to a partner system as signed JSON."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from helpdesk.agents.base import BaseAgent
from helpdesk.models import Ticket


class WebhookAgent(BaseAgent):
    """Prepares a signed delivery of each ticket for the partner endpoint ``url``.

    Deliveries are queued in ``self.deliveries``; the sender process posts them.
    """

    name = "webhook"

    def __init__(self, url: str, secret: str = "") -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"webhook url must be http(s): {url!r}")
        self.url = url
        self.secret = secret.encode()
        self.deliveries: list[dict[str, Any]] = []

    def payload(self, ticket: Ticket) -> str:
        """The JSON body sent for ``ticket``."""
        record = {"id": ticket.id, "subject": ticket.subject, "category": ticket.category,
                  "priority": ticket.priority, "status": ticket.status}
        return json.dumps(record, sort_keys=True)

    def sign(self, body: str) -> str:
        """HMAC-SHA256 of ``body`` with the shared secret, hex encoded."""
        return hmac.new(self.secret, body.encode(), hashlib.sha256).hexdigest()

    def handle(self, ticket: Ticket) -> Ticket:
        body = self.payload(ticket)
        self.deliveries.append({"url": self.url, "body": body, "signature": self.sign(body)})
        return ticket
