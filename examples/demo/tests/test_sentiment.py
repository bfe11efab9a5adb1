from helpdesk.agents.sentiment import SentimentAgent


def test_score_range():
    agent = SentimentAgent()
    assert agent.score("thanks, great help") == 1.0
    assert agent.score("terrible and useless, I will cancel") == -1.0
    assert agent.score("my order number is 42") == 0.0


def test_tags_angry_once(make_ticket):
    agent = SentimentAgent()
    ticket = make_ticket("Unacceptable", "worst service ever")
    agent.handle(agent.handle(ticket))
    assert ticket.tags == ["angry"]


def test_leaves_happy_customers_alone(make_ticket):
    assert SentimentAgent().handle(make_ticket("Thanks", "love it")).tags == []
