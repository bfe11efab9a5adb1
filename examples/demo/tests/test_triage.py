from helpdesk.agents.base import BaseAgent
from helpdesk.agents.triage import TriageAgent


def test_classifies_by_keywords():
    agent = TriageAgent()
    assert agent.classify("I was charged twice, please refund the invoice") == "billing"
    assert agent.classify("The dashboard is down with error 500") == "outage"
    assert agent.classify("Hello there") == "general"


def test_handle_sets_category(make_ticket):
    ticket = TriageAgent()(make_ticket("Cannot login", "my password was reset"))
    assert ticket.category == "account"


def test_custom_categories():
    agent = TriageAgent({"praise": ("thanks",)})
    assert agent.classify("thanks a lot") == "praise"
    assert isinstance(agent, BaseAgent)
