from helpdesk.agents.summary import SummaryAgent


def test_first_sentences():
    text = "The app crashes. It happens on login. Since Monday. Please help!"
    assert SummaryAgent().summarize(text) == "The app crashes. It happens on login."


def test_truncates_long_text():
    summary = SummaryAgent(max_sentences=1, max_chars=20).summarize("x" * 50 + ".")
    assert len(summary) == 20 and summary.endswith("…")


def test_handle_falls_back_to_subject(make_ticket):
    ticket = SummaryAgent().handle(make_ticket("Invoice missing"))
    assert ticket.summary == "Invoice missing"
