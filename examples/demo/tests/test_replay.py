from helpdesk.orchestrators.replay import ReplayOrchestrator


def test_reports_changed_decisions():
    records = [
        {"id": 1, "input": {"subject": "Site down"}, "expected": {"category": "outage"}},
        {"id": 2, "input": {"subject": "Refund"}, "expected": {"category": "shipping"}},
    ]
    assert ReplayOrchestrator().run(records) == ["#2 category: 'shipping' -> 'billing'"]
