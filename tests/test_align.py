"""End-to-end tests of ``lockgate align``: the JSON contract, scores, verdicts per scenario.

Every test runs lockgate as a user would (``python -m lockgate`` in a child process) on a copy of a
scenario project (``tests/projects/<name>``, whose README.md is the answer key) and asserts what
the user sees: exit codes, JSON fields and stderr.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, copy_project, isolated_env, lockgate

LAYERS = ("discovered", "imported", "instantiated", "documented", "tested", "wired")
WEIGHTS = dict(zip(LAYERS, (17, 17, 16, 17, 17, 16), strict=True))
TOP_KEYS = {"lockgate", "project", "threshold", "features", "summary", "suite"}
FEATURE_KEYS = {"id", "name", "kind", "path", "line", "internal", "score", "status", "layers"}
LAYER_KEYS = {"passed", "cached", "detail", "seconds"}
FLAGS = {"load_dependent", "flaky"}  # DESIGN.md 0.2: present, and true, only when they apply
SUMMARY_KEYS = {
    "features",
    "mean_score",
    "healthy",
    "warning",
    "critical",
    "orphans",
    "cache",
    "seconds",
    "writes",  # what the run's test processes wrote into their copy of the tree
}
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def expected_score(feature: dict[str, Any]) -> int:
    passed = sum(WEIGHTS[name] for name, layer in feature["layers"].items() if layer["passed"])
    return round(100 * passed / sum(WEIGHTS.values()))


def status_of(score: int) -> str:
    return "healthy" if score >= 90 else "warning" if score >= 70 else "critical"


def by_name(run: Run) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in run.json["features"]}


def verdicts(feature: dict[str, Any]) -> str:
    """The layers as a string of Y (passed) and N (failed), in LAYERS order."""
    return "".join("Y" if feature["layers"][name]["passed"] else "N" for name in LAYERS)


# --------------------------------------------------------------------------- shared runs


@pytest.fixture(scope="module")
def basic_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run, Run]:
    """``basic``: a first run (empty store) and a second run right after it."""
    with isolated_env(tmp_path_factory):
        root = copy_project("basic", tmp_path_factory.mktemp("basic"))
        first = lockgate("align", "--json", cwd=root)
        second = lockgate("align", "--json", cwd=root)
    return root, first, second


@pytest.fixture(scope="module")
def defects_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    """``defects``: one align run shared by every test of that scenario (it takes ~15 s)."""
    with isolated_env(tmp_path_factory):
        root = copy_project("defects", tmp_path_factory.mktemp("defects"))
        run = lockgate("align", "--json", cwd=root, timeout=240)
    return root, run


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    """``examples/demo`` copied into a temporary git repository, aligned once (the store stays,
    so later runs in the same copy are cheap)."""
    demo = Path(__file__).resolve().parent.parent / "examples" / "demo"
    with isolated_env(tmp_path_factory):
        dest = tmp_path_factory.mktemp("demo")
        # copy_project takes a scenario name under tests/projects; the demo lives elsewhere.
        root = dest / "demo"
        shutil.copytree(
            demo,
            root,
            ignore=shutil.ignore_patterns(
                "__pycache__", ".pytest_cache", ".lockgate", "*.egg-info"
            ),
        )
        for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "i"]):
            subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
        run = lockgate("align", "--json", cwd=root)
    return root, run


@pytest.fixture(scope="module")
def wiring_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    with isolated_env(tmp_path_factory):
        root = copy_project("wiring", tmp_path_factory.mktemp("wiring"))
        return lockgate("align", "--json", cwd=root)


@pytest.fixture(scope="module")
def instantiate_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    with isolated_env(tmp_path_factory):
        root = copy_project("instantiate", tmp_path_factory.mktemp("instantiate"))
        return lockgate("align", "--json", cwd=root)


ALL_RUNS = ["basic", "defects", "demo"]
# test files that import no feature module and are named after none
UNOWNED_TEST_FILES = {"basic": 1, "defects": 1, "demo": 2}


def first_run(request: pytest.FixtureRequest, name: str) -> tuple[Path, Run]:
    if name == "basic":
        root, first, _ = request.getfixturevalue("basic_runs")
        return root, first
    return tuple(request.getfixturevalue(f"{name}_run"))  # type: ignore[return-value]


# --------------------------------------------------------------------------- JSON contract


@pytest.mark.parametrize("scenario", ALL_RUNS)
def test_json_has_exactly_the_contract_fields(
    request: pytest.FixtureRequest, scenario: str
) -> None:
    root, run = first_run(request, scenario)
    assert run.code == 0, run.stderr
    data = run.json
    assert set(data) == TOP_KEYS
    assert data["lockgate"] == importlib.metadata.version("lockgate")
    assert Path(data["project"]).resolve() == root.resolve()
    assert isinstance(data["threshold"], int)
    assert data["features"], "no features reported"
    for feature in data["features"]:
        assert set(feature) == FEATURE_KEYS, feature["id"]
        assert set(feature["layers"]) == set(LAYERS), feature["id"]
        for name, layer in feature["layers"].items():
            # DESIGN.md 0.2: a `reason` exactly on the layers that re-ran
            extra = set() if layer["cached"] else {"reason"}
            assert set(layer) - FLAGS == LAYER_KEYS | extra, (feature["id"], name)
            assert isinstance(layer.get("reason", ""), str) and layer.get("reason") != ""
            assert all(layer[flag] is True for flag in FLAGS & set(layer)), (feature["id"], name)
            if "load_dependent" in layer:  # only a failure is ever load-dependent
                assert layer["passed"] is False and "load-dependent" in layer["detail"]
            assert isinstance(layer["passed"], bool)
            assert isinstance(layer["cached"], bool)
            assert isinstance(layer["detail"], str)
            assert isinstance(layer["seconds"], int | float) and layer["seconds"] >= 0
        assert isinstance(feature["line"], int) and feature["line"] >= 1
        assert isinstance(feature["internal"], bool)
        assert feature["id"] == f"{feature['id'].rsplit('.', 1)[0]}.{feature['name']}"
        assert (root / feature["path"]).is_file(), feature["path"]
        assert not Path(feature["path"]).is_absolute()
    summary = data["summary"]
    assert set(summary) == SUMMARY_KEYS
    assert set(summary["cache"]) == {"hits", "misses", "remote_hits", "remote_errors"}
    assert isinstance(summary["orphans"], list)
    assert summary["writes"] == [], summary["writes"]  # these scenarios' tests write nothing
    assert isinstance(summary["seconds"], int | float) and summary["seconds"] >= 0


@pytest.mark.parametrize("scenario", ALL_RUNS)
def test_score_and_status_follow_the_default_weights(
    request: pytest.FixtureRequest, scenario: str
) -> None:
    _, run = first_run(request, scenario)
    for feature in run.json["features"]:
        assert feature["score"] == expected_score(feature), feature["id"]
        assert feature["status"] == status_of(feature["score"]), feature["id"]


@pytest.mark.parametrize("scenario", ALL_RUNS)
def test_summary_counts_the_features(request: pytest.FixtureRequest, scenario: str) -> None:
    _, run = first_run(request, scenario)
    features, summary = run.json["features"], run.json["summary"]
    assert summary["features"] == len(features)
    for status in ("healthy", "warning", "critical"):
        assert summary[status] == sum(f["status"] == status for f in features), status
    mean = sum(f["score"] for f in features) / len(features)
    assert summary["mean_score"] == pytest.approx(mean, abs=0.051)
    # a first run on a fresh copy has no store: nothing reused, every layer ran, and so did
    # each test file that belongs to no feature (it is validated for deploy's tests gate)
    unowned = UNOWNED_TEST_FILES[scenario]
    assert summary["cache"] == {
        "hits": 0,
        "misses": len(features) * len(LAYERS) + unowned,
        "remote_hits": 0,
        "remote_errors": 0,
    }
    assert not [
        (f["name"], n) for f in features for n, layer in f["layers"].items() if layer["cached"]
    ]


# --------------------------------------------------------------------------- defects

# README of tests/projects/defects: layers in LAYERS order (Y pass, N fail), score, status.
DEFECTS = {
    "ImportErrorFeature": ("YNNYNY", 50, "critical"),
    "HangFeature": ("YNNYNY", 50, "critical"),
    "ExitsFeature": ("YNNYNY", 50, "critical"),
    "SysExitFeature": ("YNNYNY", 50, "critical"),
    "SegfaultFeature": ("YNNYNY", 50, "critical"),
    "CtorRaisesFeature": ("YYNYYY", 84, "warning"),
    "CtorArgsFeature": ("YYNYYY", 84, "warning"),
    "CtorFactoryFeature": ("YYYYYY", 100, "healthy"),
    "NoDocstringFeature": ("YYYNYY", 83, "warning"),
    "NoGuideFeature": ("YYYNYY", 83, "warning"),
    "ShortGuideFeature": ("YYYNYY", 83, "warning"),
    "TodoGuideFeature": ("YYYNYY", 83, "warning"),
    "NoTestsFeature": ("YYYYNY", 83, "warning"),
    "FailingTestsFeature": ("YYYYNY", 83, "warning"),
    "LowCoverageFeature": ("YYYYNY", 83, "warning"),
    "UnwiredFeature": ("YYYYYN", 84, "warning"),
    "HealthyFeature": ("YYYYYY", 100, "healthy"),
}

# (feature, layer, regular expression the detail must match): the detail says what happened.
DEFECT_DETAILS = [
    ("ImportErrorFeature", "imported", r"RuntimeError"),
    ("ImportErrorFeature", "imported", r"boom at import"),
    ("HangFeature", "imported", r"timed out"),
    ("ExitsFeature", "imported", r"exit code 3\b"),
    ("SysExitFeature", "imported", r"sys\.exit"),
    ("SegfaultFeature", "imported", r"SIGSEGV"),
    ("CtorRaisesFeature", "instantiated", r"ValueError"),
    ("CtorArgsFeature", "instantiated", r"host, port"),
    ("NoDocstringFeature", "documented", r"docstring"),
    ("NoGuideFeature", "documented", r"docs/guides/no-guide-feature\.md"),
    ("ShortGuideFeature", "documented", r"\b200\b"),
    ("TodoGuideFeature", "documented", r"\bTODO\b"),
    ("NoTestsFeature", "tested", r"(?i)\bno tests?\b"),
    ("FailingTestsFeature", "tested", r"test_run_triples"),
    ("LowCoverageFeature", "tested", r"\d+(\.\d+)?\s*%"),
]


def test_defects_run_finishes(defects_run: tuple[Path, Run]) -> None:
    _, run = defects_run
    assert run.code == 0, run.stderr
    assert "Traceback" not in run.stderr
    data = run.json
    assert {f["id"] for f in data["features"]} == {
        f"zoo.features.{re.sub(r'(?<!^)(?=[A-Z])', '_', name[: -len('Feature')]).lower()}.{name}"
        for name in DEFECTS
    }
    assert data["threshold"] == 95
    assert data["summary"]["orphans"] == []


def test_plain_pytest_dies_on_the_defects_project(project: Any) -> None:
    """The premise of the defects run: pytest alone does not survive this project."""
    root = project("defects")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_CORE_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert "test session starts" in proc.stdout, proc.stdout + proc.stderr
    assert proc.returncode != 0
    summary = re.compile(r"^=+ .*\b(passed|failed|errors?|no tests ran)\b.* =+$", re.M)
    assert not summary.search(proc.stdout), proc.stdout


@pytest.mark.parametrize("name", list(DEFECTS))
def test_defects_verdict(defects_run: tuple[Path, Run], name: str) -> None:
    _, run = defects_run
    feature = by_name(run)[name]
    want, score, status = DEFECTS[name]
    failed = {n: x["detail"] for n, x in feature["layers"].items() if not x["passed"]}
    assert verdicts(feature) == want, failed
    assert (feature["score"], feature["status"]) == (score, status)
    assert feature["kind"] == "feature"
    assert feature["internal"] is False


@pytest.mark.parametrize(("name", "layer", "pattern"), DEFECT_DETAILS)
def test_defects_detail_says_what_happened(
    defects_run: tuple[Path, Run], name: str, layer: str, pattern: str
) -> None:
    _, run = defects_run
    result = run.layer(name, layer)
    assert result["passed"] is False
    assert re.search(pattern, result["detail"]), result["detail"]


def test_defects_every_failed_layer_has_a_detail(defects_run: tuple[Path, Run]) -> None:
    _, run = defects_run
    silent = [
        (f["name"], n)
        for f in run.json["features"]
        for n, layer in f["layers"].items()
        if not layer["passed"] and not layer["detail"].strip()
    ]
    assert silent == []


def test_defects_low_coverage_reports_a_percent_under_the_minimum(
    defects_run: tuple[Path, Run],
) -> None:
    _, run = defects_run
    detail = run.layer("LowCoverageFeature", "tested")["detail"]
    match = re.search(r"(\d+(?:\.\d+)?)\s*%", detail)
    assert match, detail
    assert 0 < float(match.group(1)) < 70, detail


@pytest.mark.parametrize("name", ["HealthyFeature", "CtorFactoryFeature"])
def test_defects_neighbours_of_crashes_stay_healthy(
    defects_run: tuple[Path, Run], name: str
) -> None:
    """Isolation: modules that hang, exit or segfault cost no other feature anything."""
    _, run = defects_run
    feature = by_name(run)[name]
    failed = {n: layer["detail"] for n, layer in feature["layers"].items() if not layer["passed"]}
    assert failed == {}
    assert (feature["score"], feature["status"]) == (100, "healthy")


# --------------------------------------------------------------------------- basic


def test_basic_every_feature_healthy(basic_runs: tuple[Path, Run, Run]) -> None:
    _, first, _ = basic_runs
    assert first.code == 0, first.stderr
    data = first.json
    assert [f["name"] for f in data["features"]] == [
        "CartService",
        "CatalogService",
        "PricingService",
    ]
    for feature in data["features"]:
        failed = {n: x["detail"] for n, x in feature["layers"].items() if not x["passed"]}
        assert failed == {}, feature["id"]
        assert (feature["score"], feature["status"]) == (100, "healthy")
        assert feature["layers"]["wired"]["detail"]
    summary = data["summary"]
    assert (summary["features"], summary["healthy"], summary["warning"], summary["critical"]) == (
        3,
        3,
        0,
        0,
    )
    assert summary["mean_score"] == 100
    assert summary["orphans"] == []
    assert data["threshold"] == 95


def test_basic_second_run_reuses_every_result(basic_runs: tuple[Path, Run, Run]) -> None:
    _, first, second = basic_runs
    assert second.code == 0, second.stderr
    not_cached = [
        (f["name"], n)
        for f in second.json["features"]
        for n, layer in f["layers"].items()
        if not layer["cached"]
    ]
    assert not_cached == []
    # three features, and tests/test_misc.py which belongs to none
    assert second.json["summary"]["cache"] == {
        "hits": 3 * len(LAYERS) + 1,
        "misses": 0,
        "remote_hits": 0,
        "remote_errors": 0,
    }

    def verdict(run: Run) -> list[tuple[Any, ...]]:
        return [
            (f["id"], f["score"], f["status"], n, x["passed"], x["detail"])
            for f in run.json["features"]
            for n, x in f["layers"].items()
        ]

    assert verdict(second) == verdict(first)


# --------------------------------------------------------------------------- demo

# README of examples/demo.
DEMO = {
    "TriageAgent": ("YYYYYY", 100, "healthy", False),
    "PriorityAgent": ("YYYYYY", 100, "healthy", False),
    "SummaryAgent": ("YYYYYY", 100, "healthy", False),
    "MailAgent": ("YYYYYY", 100, "healthy", False),
    "TicketOrchestrator": ("YYYYYY", 100, "healthy", False),
    "DigestOrchestrator": ("YYYYYY", 100, "healthy", False),
    "SentimentAgent": ("YYYNYY", 83, "warning", False),
    "EscalationAgent": ("YYYNYY", 83, "warning", False),
    "LanguageAgent": ("YYYYNY", 83, "warning", False),
    "WebhookAgent": ("YYNYYY", 84, "warning", False),
    "ReplayOrchestrator": ("YYYYYN", 84, "warning", True),
    "NightlyOrchestrator": ("YYYNNY", 66, "critical", False),
}


def test_demo_summary(demo_run: tuple[Path, Run]) -> None:
    _, run = demo_run
    assert run.code == 0, run.stderr
    summary = run.json["summary"]
    assert (summary["features"], summary["healthy"], summary["warning"], summary["critical"]) == (
        12,
        6,
        5,
        1,
    )
    assert summary["orphans"] == ["ReportAgent"]
    assert summary["mean_score"] == pytest.approx(90.25, abs=0.051)
    assert run.json["threshold"] == 80


@pytest.mark.parametrize("name", list(DEMO))
def test_demo_verdict(demo_run: tuple[Path, Run], name: str) -> None:
    _, run = demo_run
    feature = by_name(run)[name]
    want, score, status, internal = DEMO[name]
    failed = {n: x["detail"] for n, x in feature["layers"].items() if not x["passed"]}
    assert verdicts(feature) == want, failed
    assert (feature["score"], feature["status"], feature["internal"]) == (score, status, internal)
    assert feature["kind"] == ("orchestrator" if name.endswith("Orchestrator") else "agent")


def test_demo_table_fits_80_columns(demo_run: tuple[Path, Run]) -> None:
    root, _ = demo_run
    # -v: every row (the default folds the healthy ones, tests/test_output.py)
    run = lockgate("align", "-v", cwd=root, env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert run.code == 0, run.stderr
    lines = ANSI.sub("", run.stdout).splitlines()
    assert max(len(line) for line in lines) <= 80
    text = " ".join(run.stdout.split())
    for name, (_, score, status, _) in DEMO.items():
        row = next((line for line in lines if line.split()[:1] == [name]), None)
        assert row is not None, f"no table row for {name}"
        assert str(score) in row.split() and status in row.split(), row
    assert "ReportAgent" in text  # the orphaned wiring entry is reported under the table
    assert "docs/guides/sentiment-agent.md" in text  # the reason of a failed layer


# --------------------------------------------------------------------------- --fail-under


@pytest.mark.parametrize(("threshold", "code"), [(0, 0), (66, 0), (67, 1), (100, 1)])
def test_fail_under_on_the_demo(demo_run: tuple[Path, Run], threshold: int, code: int) -> None:
    """The lowest non-internal score of the demo is 66 (NightlyOrchestrator)."""
    root, _ = demo_run
    run = lockgate("align", "--json", "--fail-under", str(threshold), cwd=root)
    assert run.code == code, run.stderr
    assert run.json["summary"]["features"] == 12  # the JSON is printed either way


def test_fail_under_names_the_features_under_it(demo_run: tuple[Path, Run]) -> None:
    root, _ = demo_run
    run = lockgate("align", "--fail-under", "70", cwd=root)
    assert run.code == 1
    assert "NightlyOrchestrator" in run.stderr
    assert "Traceback" not in run.stderr


def test_fail_under_ignores_internal_features(project: Any) -> None:
    """basic with PricingService's guide removed (score 83): under 90 it fails the run, unless
    PricingService is internal."""
    root = project("basic")
    (root / "docs/guides/pricing-service.md").unlink()
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    line = 'classes = ["*Service"]'
    marked = text.replace(line, f'{line}\ninternal = ["Pricing*"]')
    assert marked != text
    pyproject.write_text(marked)
    internal = lockgate("align", "--json", "--fail-under", "90", cwd=root)
    assert internal.code == 0, internal.stderr
    pricing = by_name(internal)["PricingService"]
    assert (pricing["internal"], pricing["score"]) == (True, 83)

    pyproject.write_text(text)
    gated = lockgate("align", "--json", "--fail-under", "90", cwd=root)
    assert gated.code == 1, gated.stderr
    pricing = by_name(gated)["PricingService"]
    assert (pricing["internal"], pricing["score"]) == (False, 83)


# --------------------------------------------------------------------------- wiring

# README of tests/projects/wiring: wired?, and what the detail names.
WIRING = {
    "ScriptedWidget": (True, "scripted"),
    "GroupedWidget": (True, "grouped"),
    "ImportedWidget": (True, "plug.app"),
    "MappedWidget": (True, "config/widgets.json"),
    "UnwiredWidget": (False, "config/widgets.json"),  # where it was looked for
}


@pytest.mark.parametrize("name", list(WIRING))
def test_wired_layer(wiring_run: Run, name: str) -> None:
    assert wiring_run.code == 0, wiring_run.stderr
    passed, needle = WIRING[name]
    layer = wiring_run.layer(name, "wired")
    assert layer["passed"] is passed, layer["detail"]
    assert needle in layer["detail"]


def test_wiring_orphans(wiring_run: Run) -> None:
    assert wiring_run.json["summary"]["orphans"] == ["GhostWidget"]


# --------------------------------------------------------------------------- instantiate

# README of tests/projects/instantiate: passed?, patterns the detail must match, must not match.
INSTANTIATE = {
    "PlainGadget": (True, [], []),
    "BuiltGadget": (True, [], []),
    "ArgsGadget": (False, [r"\bhost\b", r"\btoken\b"], [r"\bport\b"]),
    "LostGadget": (False, [r"tests\.nowhere", r"(?i)\bfactory\b"], []),
    "UnnamedGadget": (False, [r"no_such_factory", r"(?i)\bfactory\b"], []),
}


@pytest.mark.parametrize("name", list(INSTANTIATE))
def test_instantiated_layer(instantiate_run: Run, name: str) -> None:
    assert instantiate_run.code == 0, instantiate_run.stderr
    passed, wanted, unwanted = INSTANTIATE[name]
    layer = instantiate_run.layer(name, "instantiated")
    assert layer["passed"] is passed, layer["detail"]
    for pattern in wanted:
        assert re.search(pattern, layer["detail"]), (pattern, layer["detail"])
    for pattern in unwanted:
        assert not re.search(pattern, layer["detail"]), (pattern, layer["detail"])
