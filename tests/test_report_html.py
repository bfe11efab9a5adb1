"""``lockgate report --html``: the page written by a real run, opened in a real headless browser."""

from __future__ import annotations

import re
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
TABLE_JS = Path(__file__).resolve().parent.parent / "src/lockgate/report/templates/table.js"
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
    # The page's one script is the table's sorting, byte for byte; project text adds none.
    own = f"<script>\n{TABLE_JS.read_text(encoding='utf-8')}</script>\n"
    assert page.count(own) == 1
    page = page.replace(own, "")
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


def fill(root: Path, count: int, tested: int = 2) -> None:
    """Write ``count`` features into the ``fleet`` scenario, 50 to a module: most have a guide
    and a route, the first ``tested`` modules a test file, so scores and statuses vary."""
    routes = ["routes:"]
    (root / "docs").mkdir()
    (root / "config").mkdir()
    for start in range(0, count, 50):
        group = f"group{start // 50:03d}"
        lines = ['"""Generated features."""', ""]
        names = []
        for i in range(start, min(start + 50, count)):
            kind = "Orchestrator" if i % 5 == 4 else "Agent"
            name = f"Unit{i:05d}{kind}"
            names.append(name)
            lines += [f"class {name}:", f'    """Feature {i}."""', ""]
            lines += ["    def run(self) -> int:", f"        return {i}", "", ""]
            if i % 10 not in (3, 7):
                guide = root / "docs" / f"unit{i:05d}-{kind.lower()}.md"
                guide.write_text(f"# {name}\n\nHow to use {name} in the fleet.\n")
            if i % 10 != 5:
                routes.append(f"  - {name}")
        (root / "src" / "fleet" / "features" / f"{group}.py").write_text("\n".join(lines))
        if start // 50 < tested:
            calls = "".join(f"    assert {group}.{n}().run() >= 0\n" for n in names)
            test = f"from fleet.features import {group}\n\n\ndef test_{group}() -> None:\n{calls}"
            (root / "tests" / f"test_{group}.py").write_text(test)
    (root / "config" / "routes.yaml").write_text("\n".join(routes) + "\n")


def rows(page: Page) -> list[tuple[str, int, str]]:
    """The visible rows of the feature table, in page order: (name, score, status)."""
    found = page.evaluate(
        "Array.from(document.querySelectorAll('#features tbody tr'))"
        ".filter(r => !r.hidden).map(r => [r.cells[0].textContent,"
        " Number(r.dataset.score), r.querySelector('td.status').textContent])"
    )
    return [(name, score, status) for name, score, status in found]


RANK = {"critical": 0, "warning": 1, "healthy": 2}


def test_report_at_1000_features(project: Callable[..., Path], tmp_path: Path) -> None:
    root = project("fleet", commit=False)
    fill(root, 1000)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a fleet of 1,000 features")
    report = tmp_path / "fleet.html"
    for _ in range(2):  # a cold run and a no-change one: two recorded runs
        run = lockgate("report", "--html", report, root, "--quiet")
        assert run.code == 0, run.stderr
    summary = "1000 features, mean score 79.7 (70 healthy, 660 warning, 270 critical)"
    assert run.stdout.splitlines()[1].startswith(summary)
    text = report.read_text(encoding="utf-8")
    assert not re.findall(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text)
    assert "http" not in text
    print(f"report at 1,000 features: {len(text.encode()):,} bytes")
    assert len(text.encode()) < 4_000_000

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            problems = open_report(page, report)
            served = rows(page)
            assert len(served) == 1000
            ranks = [(RANK[status], score) for _, score, status in served]
            assert ranks == sorted(ranks)  # failures first, worst first
            assert served[0][2] == "critical" and served[-1][2] == "healthy"
            # the failures list comes before the table, worst first, with its reasons
            assert page.evaluate(
                "document.querySelector('#failures').compareDocumentPosition("
                "document.querySelector('#features')) & Node.DOCUMENT_POSITION_FOLLOWING"
            )
            failures = page.locator("#failures li.failure")
            assert failures.count() == 930  # the worst 25 open, the rest folded
            assert page.locator("#failures > ol > li.failure").count() == 25
            assert "no tests" in failures.first.inner_text()
            # the distribution counts every feature; the kinds table splits them
            bars = page.locator("#scores svg rect title, #scores svg g title")
            counts = [int(t.split(": ")[1].split()[0]) for t in bars.all_text_contents()]
            assert sum(counts) == 1000
            kinds = page.locator("#kinds tbody tr").all_inner_texts()
            assert [k.split("\t")[:2] for k in kinds] == [["agent", "800"], ["orchestrator", "200"]]
            assert "tests/test_fleet.py" in page.locator("#suite").inner_text()

            page.locator("#features th[data-sort=name]").click()
            names = [name for name, _, _ in rows(page)]
            assert names == sorted(names) and names != [name for name, _, _ in served]
            page.locator("#features th[data-sort=score]").click()
            scores = [score for _, score, _ in rows(page)]
            assert scores == sorted(scores) and scores[0] < scores[-1]
            page.locator("#features th[data-sort=score]").click()
            assert [score for _, score, _ in rows(page)] == sorted(scores, reverse=True)

            page.locator("#filter").fill("critical")
            shown = rows(page)
            assert len(shown) == 270 and {status for _, _, status in shown} == {"critical"}
            page.locator("#filter").fill("unit00042")
            assert [name for name, _, _ in rows(page)] == ["Unit00042Agent"]
            page.locator("#filter").fill("")
            assert len(rows(page)) == 1000

            points = page.locator("#history svg circle.point")
            assert points.count() == 2  # one per recorded run
            assert "mean score 79.7" in (points.last.locator("title").text_content() or "")
            assert problems == []
            page.close()

            context = browser.new_context(java_script_enabled=False)
            page = context.new_page()
            assert open_report(page, report) == []
            assert not page.locator("#filter").is_visible()
            still = rows(page)
            assert still == served and still[0][2] == "critical"
            context.close()
        finally:
            browser.close()
