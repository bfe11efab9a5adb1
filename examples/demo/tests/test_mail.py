from helpdesk.agents.mail import MailAgent
from tests.factories import mail_agent


def test_acknowledges_once(make_ticket):
    agent = mail_agent()
    assert isinstance(agent, MailAgent)
    ticket = make_ticket("Refund", customer="ana@example.org", priority=2)
    agent.handle(agent.handle(ticket))
    (message,) = agent.outbox.sent
    assert message.to == "ana@example.org"
    assert "four hours" in message.body
    assert message.subject == f"Re: Refund [#{ticket.id}]"
    assert ticket.tags == ["acknowledged"]


def test_low_priority_promise(make_ticket):
    assert "three days" in mail_agent().reply(make_ticket(priority=4))
