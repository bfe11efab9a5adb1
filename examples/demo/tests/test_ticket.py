from helpdesk.agents.triage import TriageAgent
from helpdesk.orchestrators.ticket import TicketOrchestrator


def test_default_pipeline_orders_by_priority(make_ticket):
    tickets = [
        make_ticket("Question about pricing", "Is there a discount?"),
        make_ticket("Site down", "Everything returns error 500. Customers are blocked."),
    ]
    done = TicketOrchestrator().run(tickets)
    assert [t.subject for t in done] == ["Site down", "Question about pricing"]
    assert done[0].category == "outage" and done[0].status == "escalated"
    assert done[0].summary.startswith("Everything returns error 500.")


def test_custom_agents(make_ticket):
    pipeline = TicketOrchestrator([TriageAgent()])
    pipeline.process(make_ticket("refund"))
    assert pipeline.processed == 1
