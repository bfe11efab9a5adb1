import fuzz_expect

from app.features.agent import AgentService


def test_count(base):
    assert AgentService().count(base) == fuzz_expect.EXPECTED


def test_greet(agent_name):
    assert AgentService().greet(agent_name) == "hello, ada"


def test_rarely_reset():
    agent = AgentService()
    assert agent.reset() == 1
    assert agent.reset() == 2
