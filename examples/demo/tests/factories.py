"""Factories lockgate uses for features whose constructor needs arguments."""

from helpdesk.agents.mail import MailAgent
from helpdesk.models import Outbox


def mail_agent() -> MailAgent:
    """A MailAgent writing into an in-memory outbox."""
    return MailAgent(Outbox(sender="support@example.test"))
