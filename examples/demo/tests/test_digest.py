from helpdesk.orchestrators.digest import DigestOrchestrator


def test_digest_text(make_ticket):
    tickets = [
        make_ticket("Site down", category="outage", priority=1),
        make_ticket("Refund", category="billing", priority=2),
        make_ticket("Old refund", category="billing", priority=2, status="closed"),
    ]
    text = DigestOrchestrator(top=1).run(tickets)
    assert text.splitlines() == ["3 tickets", "  outage: 1", "  billing: 1", "most urgent:",
                                 "  #1 P1 Site down"]


def test_empty_batch():
    assert DigestOrchestrator().run([]) == "0 tickets"
