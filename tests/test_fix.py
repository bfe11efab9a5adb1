"""``lockgate fix``: a next step per failed layer of the demo; scaffolds never overwrite."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import git, lockgate

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo"

# The demo's failed layers (README's sample output) and the scaffold each gets, if any.
EXPECTED = {
    ("WebhookAgent", "instantiated"): ("create", "tests/factory_webhook_agent.py"),
    ("EscalationAgent", "documented"): ("print", "docs/guides/escalation-agent.md"),
    ("SentimentAgent", "documented"): ("create", "docs/guides/sentiment-agent.md"),
    ("NightlyOrchestrator", "documented"): ("create", "docs/guides/nightly-orchestrator.md"),
    ("LanguageAgent", "tested"): ("print", "src/helpdesk/agents/language.py"),
    ("NightlyOrchestrator", "tested"): ("create", "tests/test_nightly_orchestrator.py"),
    ("ReplayOrchestrator", "wired"): ("print", "config/routes.yaml"),
}


def _demo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    shutil.copytree(
        DEMO, root, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".lockgate")
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "demo")
    return root


def test_fix_plans_writes_and_never_overwrites(tmp_path: Path) -> None:
    root = _demo(tmp_path)
    planned = lockgate("fix", "--json", cwd=root)
    assert planned.code == 0, planned.stderr
    steps = {(s["name"], s["layer"]): s for s in planned.json["features"]}
    assert {k: (s["action"], s["file"]) for k, s in steps.items()} == EXPECTED
    assert all(s["step"] and s["detail"] for s in steps.values())
    # the factory is registered by hand: the line to add is printed, never written
    assert steps[("WebhookAgent", "instantiated")]["line"] == (
        '"helpdesk.agents.webhook.WebhookAgent" = "tests.factory_webhook_agent:webhook_agent"'
    )
    assert steps[("ReplayOrchestrator", "wired")]["line"] == "ReplayOrchestrator"
    assert planned.json["written"] is False
    assert git(root, "status", "--porcelain") == ""  # planning writes nothing

    only = lockgate("fix", "--json", "NightlyOrchestrator", cwd=root)
    assert {s["layer"] for s in only.json["features"]} == {"documented", "tested"}
    unknown = lockgate("fix", "NoSuchAgent", cwd=root)
    # one error line; besides it stderr (no terminal) holds only the run's progress lines
    assert unknown.code == 2
    errors = [line for line in unknown.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0].startswith("lockgate: error: no feature"), unknown.stderr
    assert unknown.stderr.splitlines()[-1] == errors[0]

    # a file already there is never overwritten, even one the plan would create
    guide = root / "docs/guides/sentiment-agent.md"
    guide.write_text("mine\n")
    written = lockgate("fix", "--write", "--json", cwd=root)
    assert written.code == 0, written.stderr
    actions = {(s["name"], s["layer"]): s["action"] for s in written.json["features"]}
    assert actions[("SentimentAgent", "documented")] == "print"  # now an unfinished guide
    assert guide.read_text() == "mine\n"
    guide.unlink()
    written = lockgate("fix", "--write", cwd=root)
    assert written.code == 0, written.stderr
    created = {f for a, f in EXPECTED.values() if a == "create"}
    assert {line[3:] for line in git(root, "status", "--porcelain").splitlines()} == created
    before = {f: ((root / f).read_bytes(), (root / f).stat().st_mtime_ns) for f in created}
    nightly_guide = (root / "docs/guides/nightly-orchestrator.md").read_text()
    assert "TODO" in nightly_guide
    assert "Closes resolved tickets that went quiet" in nightly_guide  # the class docstring
    assert "`run(tickets)`" in nightly_guide  # its public methods
    assert "raise NotImplementedError" in (root / "tests/factory_webhook_agent.py").read_text()

    again = lockgate("fix", "--write", "--json", cwd=root)
    assert again.code == 0, again.stderr
    assert {f: ((root / f).read_bytes(), (root / f).stat().st_mtime_ns) for f in created} == before
    steps = {(s["name"], s["layer"]): s for s in again.json["features"]}
    assert steps[("WebhookAgent", "instantiated")]["action"] == "exists"
    text = lockgate("fix", "--write", "WebhookAgent", cwd=root)
    assert "tests/factory_webhook_agent.py: exists, left alone" in text.stdout

    # what the scaffolds do to the next align: the guides stay unfinished, the test scaffold
    # passes and is now the feature's test, which honestly fails on coverage
    after = lockgate("align", "--json", cwd=root)
    for name in ("SentimentAgent", "NightlyOrchestrator"):
        layer = after.layer(name, "documented")
        assert layer["passed"] is False and "contains 'TODO'" in layer["detail"]
    tested = after.layer("NightlyOrchestrator", "tested")
    assert tested["passed"] is False
    assert tested["detail"].startswith("1 test passes but covers ")
    assert tested["detail"].endswith("of src/helpdesk/orchestrators/nightly.py (needs 75%)")
    assert after.layer("WebhookAgent", "instantiated")["passed"] is False
