import pytest

from helpdesk.agents.priority import PriorityAgent


@pytest.mark.parametrize(
    ("category", "subject", "age", "expected"),
    [
        ("outage", "site down", 0, 1),
        ("billing", "refund please", 0, 2),
        ("billing", "URGENT refund", 0, 1),
        ("shipping", "where is my parcel", 6, 2),
        ("general", "a question", 0, 4),
        ("outage", "urgent: down", 9, 1),
    ],
)
def test_rate(make_ticket, category, subject, age, expected):
    ticket = PriorityAgent().handle(make_ticket(subject, category=category, age_days=age))
    assert ticket.priority == expected
