"""Scheduled jobs started by the ops cron (an entry module of the deployment)."""

from __future__ import annotations

from collections.abc import Sequence

from helpdesk.models import Ticket
from helpdesk.orchestrators.digest import DigestOrchestrator

JOBS = {"daily-digest": DigestOrchestrator}


def run_job(name: str, tickets: Sequence[Ticket]) -> str:
    """Run the job called ``name`` over ``tickets`` and return its output."""
    return str(JOBS[name]().run(tickets))
