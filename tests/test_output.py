"""Console output that scales (issue 13): failures first with healthy rows folded, -v and -q,
phase lines on a stderr that is no terminal, 80 columns, counted words, one-line usage errors."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, git, isolated_env, lockgate

REPO = Path(__file__).resolve().parent.parent
NARROW = {"COLUMNS": "80", "NO_COLOR": "1"}
WIDE = {"COLUMNS": "200", "NO_COLOR": "1"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# The demo's features that are not healthy, worst score first (ties in discovery order).
UNHEALTHY = [
    "NightlyOrchestrator",
    "EscalationAgent",
    "LanguageAgent",
    "SentimentAgent",
    "WebhookAgent",
    "ReplayOrchestrator",
]
HEALTHY = ["MailAgent", "PriorityAgent", "SummaryAgent", "TriageAgent", "DigestOrchestrator"]
HEALTHY += ["TicketOrchestrator"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Run]]:
    """``examples/demo`` as a git repository, and its first (cold) ``align`` at 80 columns,
    run as CI runs it: stdout and stderr captured, neither a terminal."""
    with isolated_env(tmp_path_factory):
        root = tmp_path_factory.mktemp("output") / "demo"
        shutil.copytree(
            REPO / "examples" / "demo",
            root,
            ignore=shutil.ignore_patterns(
                "__pycache__", ".pytest_cache", ".lockgate", "*.egg-info"
            ),
        )
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "demo")
        yield root, lockgate("align", cwd=root, env=NARROW)


def lines_of(run: Run) -> list[str]:
    return ANSI.sub("", run.stdout).splitlines()


def row_names(lines: list[str]) -> list[str]:
    """The first word of every table row (the lines that end in a status)."""
    statuses = ("healthy", "warning", "critical")
    return [line.split()[0] for line in lines if line.split()[-1:] and line.split()[-1] in statuses]


def test_default_lists_what_needs_attention_worst_first(demo: tuple[Path, Run]) -> None:
    root, _ = demo
    run = lockgate("align", cwd=root, env=WIDE)
    assert run.code == 0, run.stderr
    lines = lines_of(run)
    assert row_names(lines) == UNHEALTHY
    text = "\n".join(lines)
    for name in HEALTHY:
        assert name not in text
    assert "no guide: docs/guides/sentiment-agent.md" in text  # the reasons stay
    assert "orphaned wiring entry: ReportAgent" in text
    assert lines[-1].startswith("12 features, mean score 90.2: 6 healthy (not shown; -v shows all)")


def test_verbose_lists_every_row_and_quiet_only_the_summary(demo: tuple[Path, Run]) -> None:
    root, _ = demo
    verbose = lockgate("align", "-v", cwd=root, env=WIDE)
    quiet = lockgate("align", "-q", cwd=root, env=WIDE)
    assert verbose.code == 0 and quiet.code == 0, verbose.stderr + quiet.stderr
    lines = lines_of(verbose)
    assert sorted(row_names(lines)) == sorted(UNHEALTHY + HEALTHY)
    assert "2 other test files: all pass" in lines
    assert "not shown" not in verbose.stdout
    assert lines[-1].startswith("12 features, mean score 90.2: 6 healthy, 5 warning, 1 critical")
    (line,) = lines_of(quiet)
    assert line.rpartition(" · ")[0] == lines[-1].rpartition(" · ")[0]  # all but the seconds
    assert quiet.stderr == ""  # -q: no progress either

    both = lockgate("align", "-q", "-v", cwd=root)
    assert both.code == 2 and both.stdout == ""
    assert both.stderr.splitlines() == [
        "lockgate: error: --quiet and --verbose exclude each other (see lockgate align --help)"
    ]


def test_phase_lines_on_a_stderr_that_is_no_terminal(demo: tuple[Path, Run]) -> None:
    root, cold = demo
    assert cold.code == 0, cold.stderr
    assert "lockgate: planned 74 results: 0 reused, 74 to run" in cold.stderr.splitlines()
    assert re.search(
        r"^lockgate: importing and constructing: 12 of 12 in \d+\.\ds$", cold.stderr, re.M
    )
    assert re.search(r"^lockgate: running tests: 13 of 13 in \d+\.\ds$", cold.stderr, re.M)

    again = lockgate("align", "--json", cwd=root)
    assert again.json["summary"]["features"] == 12  # stdout stays pure JSON
    assert "lockgate: planned" not in again.stderr and "nothing changed" not in again.stderr
    same = lockgate("align", cwd=root)
    reused = r"^lockgate: (nothing changed: reused 74 results|planned 74 results: 74 reused)"
    assert re.search(reused, same.stderr, re.M), same.stderr


NOT_FOLDED = [
    "[tool.lockgate.instantiate]",
    '"helpdesk.agents.webhook.WebhookAgent"',
    "orchestrator",
]


def test_nothing_is_cut_at_80_columns(demo: tuple[Path, Run]) -> None:
    root, cold = demo
    runs = {
        "align": cold,
        "align -v": lockgate("align", "-v", cwd=root, env=NARROW),
        "deploy --dry-run -v": lockgate("deploy", "--dry-run", "-v", cwd=root, env=NARROW),
    }
    for name, run in runs.items():
        lines = lines_of(run)
        assert lines, (name, run.stderr)
        assert max(len(line) for line in lines) <= 80, (name, run.stdout)
        assert not re.search(r"\w…", run.stdout), (name, run.stdout)  # "orchestrat…"
        words = {word for line in lines for word in line.split()}
        for whole in NOT_FOLDED:
            assert whole in words, (name, whole, run.stdout)


LONG = "CustomerSatisfactionSurveyEscalationAgent"  # wider than the name column allows


def test_a_name_too_wide_for_80_columns_gets_a_line_of_its_own(demo: tuple[Path, Run]) -> None:
    root, _ = demo
    module = root / "src" / "helpdesk" / "agents" / "survey_escalation.py"
    module.write_text(f"class {LONG}:\n    pass\n")
    try:
        run = lockgate("align", cwd=root, env=NARROW)
    finally:
        module.unlink()
    lines = lines_of(run)
    assert max(len(line) for line in lines) <= 80, run.stdout
    assert lines.count(LONG) == 2, run.stdout  # its table row and its reasons, each under it
    row = lines[lines.index(LONG) + 1].split()  # imports and constructs; no guide, test, wiring
    assert row == ["agent", "50", "✓", "✓", "✓", "✗", "✗", "✗", "critical"], row


def test_counts_agree_with_their_nouns(demo: tuple[Path, Run]) -> None:
    root, cold = demo
    text = " ".join(cold.stdout.split())
    assert "LanguageAgent tested 1 test passes but covers 47.1% of" in text
    one = lockgate("align", "--fail-under", "70", cwd=root)
    five = lockgate("align", "--fail-under", "90", cwd=root)
    assert (one.code, five.code) == (1, 1)
    assert "lockgate: 1 feature under 70: NightlyOrchestrator (66)" in one.stderr
    assert "lockgate: 5 features under 90: " in five.stderr
    pruned = lockgate("cache", "prune", "--older-than", "1", root)
    assert pruned.stdout == "removed 0 results older than 1 day\n", pruned.stderr

    test = root / "tests" / "test_language.py"
    test.write_text(test.read_text() + "\n\ndef test_twice():\n    assert LanguageAgent()\n")
    two = lockgate("align", cwd=root, env=WIDE)
    assert "LanguageAgent tested 2 tests pass but cover " in " ".join(two.stdout.split())
    git(root, "checkout", "--", "tests/test_language.py")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["align", "/nope"], "Directory '/nope' does not exist. (see lockgate align --help)"),
        (["align", "--jobs", "0"], "0 is not in the range x>=1. (see lockgate align --help)"),
        (["deploy", "--frobnicate"], "No such option '--frobnicate'"),
        (["frobnicate"], "No such command 'frobnicate'. (see lockgate --help)"),
    ],
    ids=["missing-path", "jobs-0", "unknown-option", "unknown-command"],
)
def test_usage_errors_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    run = lockgate(*args, cwd=tmp_path)
    assert run.code == 2 and run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("lockgate: error: "), run.stderr
    assert message in lines[0]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A 30-feature project from the benchmark generator, aligned once."""
    with isolated_env(tmp_path_factory):
        root = tmp_path_factory.mktemp("generated") / "project"
        subprocess.run(
            [
                sys.executable,
                str(REPO / "benchmarks" / "generate.py"),
                str(root),
                "--features",
                "30",
            ],
            check=True,
            capture_output=True,
        )
        assert lockgate("align", "-q", cwd=root).code == 0
        yield root


def test_many_healthy_features_print_few_lines(generated: Path) -> None:
    data = lockgate("align", "--json", cwd=generated).json
    healthy = [f["name"] for f in data["features"] if f["status"] == "healthy"]
    unhealthy = [f["name"] for f in data["features"] if f["status"] != "healthy"]
    assert len(healthy) > 2 * len(unhealthy) > 0, (healthy, unhealthy)

    default = lockgate("align", cwd=generated, env=WIDE)
    verbose = lockgate("align", "-v", cwd=generated, env=WIDE)
    lines = lines_of(default)
    assert row_names(lines) == sorted(
        unhealthy, key=lambda n: next(f["score"] for f in data["features"] if f["name"] == n)
    )
    assert not [name for name in healthy if name in default.stdout]
    # header, rows, one reason line each (at 200 columns), orphans and summary, and blank lines
    assert len(lines) <= 2 * len(unhealthy) + 8, default.stdout
    assert f"{len(healthy)} healthy (not shown; -v shows all)" in lines[-1]
    assert sorted(row_names(lines_of(verbose))) == sorted(healthy + unhealthy)


def test_a_dry_run_of_many_files_lists_them_per_folder(generated: Path) -> None:
    folded = lockgate("deploy", "--dry-run", cwd=generated, env=WIDE)
    every = lockgate("deploy", "--dry-run", "-v", cwd=generated, env=WIDE)
    assert folded.code == 0 and every.code == 0, folded.stderr + every.stderr
    files = [line.strip() for line in lines_of(every) if line.startswith("  ")]
    assert "src/gen/cli.py" in files and len(files) > 40
    listing = [line.strip() for line in lines_of(folded) if line.startswith("  ")]
    assert "src/gen/cli.py" not in listing and "(-v lists every file)" in listing
    counts = [int(m.group(1)) for line in listing if (m := re.search(r" (\d+) files?$", line))]
    generated_files = sum(line.endswith("(generated)") for line in files)
    assert sum(counts) == len(files) - generated_files

    quiet = lockgate("deploy", "--dry-run", "-q", cwd=generated, env=WIDE)
    assert quiet.code == 0, quiet.stderr
    summary, shipped = lines_of(quiet)
    assert summary.startswith("30 features, mean score ")
    assert (
        shipped.startswith("dry run: gen-service ") and f" would ship {len(files)} files" in shipped
    )


def test_optimize_lists_the_slowest_and_every_feature_over_budget(project: Any) -> None:
    """perf: SlowImport, Hungry and Bench are over budget; FastFeature is within it and never
    the slowest of the four."""
    root = project("perf")
    default = lockgate("optimize", "--top", "1", root, env=WIDE)
    verbose = lockgate("optimize", "--top", "1", "-v", root, env=WIDE)
    quiet = lockgate("optimize", "-q", root, env=WIDE)
    assert (default.code, verbose.code, quiet.code) == (0, 0, 0), default.stderr
    rows = [line.split() for line in lines_of(default)[1:-2]]
    assert sorted(row[0] for row in rows) == ["BenchFeature", "HungryFeature", "SlowImportFeature"]
    spent = [float(row[1]) + float(row[2]) for row in rows]  # import ms + init ms
    assert spent == sorted(spent, reverse=True), default.stdout
    assert lines_of(default)[-1].endswith("· 1 not shown (-v shows all)")
    assert "FastFeature" in verbose.stdout and "not shown" not in verbose.stdout
    (line,) = lines_of(quiet)
    assert line.startswith("4 features measured, 1 within budget · ")


def test_features_of_one_class_name_are_shown_and_found_by_their_shortest_names(
    tmp_path: Path,
) -> None:
    from conftest import copy_project

    root = copy_project("basic", tmp_path / "shop", commit=False)
    (root / "src/shop/features/legacy.py").write_text(
        '"""The old cart."""\n\n\nclass CartService:\n    """Kept for old clients."""\n'
    )
    run = lockgate("align", "-v", root, env=WIDE)
    assert run.code in (0, 1), run.stderr
    names = [line.split()[0] for line in run.stdout.splitlines() if "CartService" in line]
    assert {"cart.CartService", "legacy.CartService"} <= set(names), run.stdout
    assert "CatalogService" in run.stdout  # a unique class name stays as it is
    both = lockgate("why", "CartService", root)
    assert both.code == 2 and both.stdout == ""
    assert both.stderr.strip() == (
        "lockgate: error: 'CartService' names 2 features (cart.CartService, "
        "legacy.CartService); give more of the id"
    )
    one = lockgate("why", "--json", "legacy.CartService", root)
    assert one.code == 0, one.stderr
    assert one.json["feature"] == "shop.features.legacy.CartService"
