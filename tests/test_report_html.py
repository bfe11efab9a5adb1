"""``lockgate report --html``: the page written by a real run, opened in a real headless browser."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git, lockgate
from playwright.sync_api import Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo"
CHARTS = ("#scores svg", "#performance svg", "#store svg")
FEATURES = [
    "EscalationAgent",
    "LanguageAgent",
    "MailAgent",
    "PriorityAgent",
    "SentimentAgent",
    "SummaryAgent",
    "TriageAgent",
    "WebhookAgent",
    "DigestOrchestrator",
    "NightlyOrchestrator",
    "ReplayOrchestrator",
    "TicketOrchestrator",
]
DETAIL = "no guide: docs/guides/sentiment-agent.md"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """``examples/demo`` as a fresh git repository with one commit."""
    root = tmp_path / "demo"
    shutil.copytree(
        DEMO,
        root,
        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".lockgate", "*.egg-info"),
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


def open_report(page: Page, path: Path) -> list[str]:
    """Load ``path`` from disk; return every console error, page error and network request."""
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url}"))
    page.on(
        "request",
        lambda r: (
            problems.append(f"request: {r.url}")
            if not r.url.startswith(("file:", "data:"))
            else None
        ),
    )
    page.goto(path.as_uri(), wait_until="load")
    return problems


def test_report_in_a_browser(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    report = out / "report.html"
    run = lockgate("report", "--html", report, "--quiet", cwd=demo)
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines() == [
        str(report),
        "12 features, mean score 90.2 (6 healthy, 5 warning, 1 critical); "
        "gates failed: integration",
    ]
    assert [p.name for p in out.iterdir()] == ["report.html"]  # no temporary file left behind
    assert report.read_text(encoding="utf-8").endswith("</html>\n")

    assert CHROMIUM.exists(), (
        "install Debian's chromium (apt-get install chromium), as .ci/run does"
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for width, height in ((1280, 800), (390, 844)):
                page = browser.new_page(viewport={"width": width, "height": height})
                problems = open_report(page, report)
                for selector in CHARTS:
                    charts = page.locator(selector)
                    assert charts.count() >= 1, selector
                    for i in range(charts.count()):
                        box = charts.nth(i).bounding_box()
                        assert box and box["width"] > 0 and box["height"] > 0, (selector, box)
                text = page.locator("body").inner_text()
                for name in FEATURES:
                    assert name in text
                assert DETAIL in text
                assert "ReportAgent" in text  # the orphaned wiring entry
                failing = page.locator(f'#layers td[title*="{DETAIL}"]')
                assert failing.count() == 1 and failing.inner_text() == "✗"
                gates = page.locator("#gates tbody tr")
                assert gates.count() == 6  # the five of DESIGN.md and closure
                assert "blocks" in gates.first.inner_text()
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"the page is {overflow} px too wide at {width} px"
                if width < 500:  # the matrix is wider than a phone: it scrolls in its box
                    assert page.evaluate(
                        "(() => { const b = document.querySelector('#layers .scroll');"
                        " return b.scrollWidth > b.clientWidth; })()"
                    )
                page.screenshot(path=str(tmp_path / f"report-{width}.png"), full_page=True)
                assert problems == []
                page.close()
        finally:
            browser.close()


def test_project_text_is_escaped_and_gates_not_faked(
    project: Callable[..., Path], tmp_path: Path
) -> None:
    root = project("html_escape", commit=False)
    report = tmp_path / "escape.html"
    run = lockgate("report", "--html", report, root, "--quiet")
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines()[1].endswith("; gates not evaluated")
    page = report.read_text(encoding="utf-8")
    assert page.endswith("</html>\n")
    for markup in ("<script", "<b>", "<img"):
        assert markup not in page
    assert "&lt;b&gt;widget&lt;/b&gt;" in page  # the feature kind
    assert "docs/&lt;script&gt;alert(1)&lt;/script&gt;clock-widget.md" in page  # guide path
    assert "&lt;script&gt;alert(&#39;boom&#39;)&lt;/script&gt;&lt;img src=x" in page  # error
    assert "Gates were not evaluated" in page and "no commit yet" in page


def test_missing_folder_is_a_usage_error(demo: Path, tmp_path: Path) -> None:
    run = lockgate("report", "--html", tmp_path / "nowhere" / "r.html", demo)
    assert run.code == 2
    assert "does not exist" in run.stderr
