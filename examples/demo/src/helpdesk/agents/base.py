"""What every agent has in common. Nothing in this module is a feature itself."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Protocol, runtime_checkable

from helpdesk.models import Ticket


class BaseAgent(ABC):
    """Abstract base: an agent handles one ticket and returns it."""

    name = "agent"

    def __call__(self, ticket: Ticket) -> Ticket:
        return self.handle(ticket)

    @abstractmethod
    def handle(self, ticket: Ticket) -> Ticket:
        """Look at ``ticket``, update it in place and return it."""


@runtime_checkable
class ChatAgent(Protocol):
    """Anything that can answer a ticket with a line of text."""

    def reply(self, ticket: Ticket) -> str: ...
