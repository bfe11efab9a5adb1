"""Shared fixtures: a builder for tickets with sensible defaults."""

from collections.abc import Callable

import pytest

from helpdesk.models import Ticket


@pytest.fixture
def make_ticket() -> Callable[..., Ticket]:
    counter = iter(range(1, 10_000))

    def build(subject: str = "Question", body: str = "", **fields: object) -> Ticket:
        return Ticket(id=next(counter), subject=subject, body=body, **fields)  # type: ignore[arg-type]

    return build
