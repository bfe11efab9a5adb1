import json

from helpdesk.cli import main


def test_triage(capsys):
    assert main(["triage", "urgent: the API is down"]) == 0
    assert capsys.readouterr().out == "outage P1\n"


def test_summarize(capsys):
    assert main(["summarize", "One. Two. Three.", "--sentences", "1"]) == 0
    assert capsys.readouterr().out == "One.\n"


def test_run(tmp_path, capsys):
    batch = tmp_path / "tickets.json"
    batch.write_text(json.dumps([{"id": 7, "subject": "Refund", "body": "Charged twice."}]))
    assert main(["run", str(batch)]) == 0
    assert capsys.readouterr().out.split() == ["#7", "open", "P2", "billing", "Charged", "twice."]


def test_run_missing_file(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
