from helpdesk.agents.escalation import EscalationAgent


def test_escalates_urgent_angry_and_old(make_ticket):
    agent = EscalationAgent()
    assert agent.handle(make_ticket(priority=1)).status == "escalated"
    assert agent.handle(make_ticket(tags=["angry"])).status == "escalated"
    assert agent.handle(make_ticket(age_days=4)).status == "escalated"


def test_keeps_normal_and_closed_tickets(make_ticket):
    agent = EscalationAgent()
    assert agent.handle(make_ticket(priority=3)).status == "open"
    assert agent.handle(make_ticket(priority=1, status="closed")).status == "closed"
