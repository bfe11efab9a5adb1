"""Conventions users know from pytest, ruff, coverage.py and pre-commit.

The configuration is found from any subfolder; ``fail_under`` is a configuration key;
``--format github`` prints workflow annotations and ``--junit-xml`` writes a JUnit report;
``.pre-commit-hooks.yaml`` works with a real ``pre-commit run``; shell completion prints a
script; the README's test command is the one ``.ci/run`` runs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECTS, Run, copy_project, git, isolated_env, lockgate

REPO = Path(__file__).resolve().parents[1]
UNCOVERED = (
    "\n\ndef unused(n: int) -> int:\n"
    + "".join(f"    n += {i}\n" for i in range(30))
    + "    return n\n"
)


def _verdicts(run: Run) -> list[tuple[Any, ...]]:
    """What a run judged, without what differs between two runs (timings, reuse)."""
    return [
        (
            f["id"],
            f["score"],
            f["status"],
            sorted((n, x["passed"], x["detail"]) for n, x in f["layers"].items()),
        )
        for f in run.json["features"]
    ] + [(s["file"], s["passed"], s["detail"]) for s in run.json["suite"]]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The basic project in the folder ``shop,v2`` of a git repository, without CartService's
    guide, and with a pyproject.toml without a lockgate table in ``src/shop``."""
    with isolated_env(tmp_path_factory):
        repo = tmp_path_factory.mktemp("conventions")
        root = repo / "shop,v2"
        shutil.copytree(PROJECTS / "basic", root)
        (root / "docs/guides/cart-service.md").unlink()
        (root / "src/shop/pyproject.toml").write_text('[project]\nname = "inner"\n')
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "initial")
        yield root


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The basic project after two features lost a layer (one of them internal) and a suite
    test file broke; the mocks gate is off."""
    with isolated_env(tmp_path_factory):
        root = copy_project("basic", tmp_path_factory.mktemp("failing"))
        with (root / "src/shop/features/cart.py").open("a") as fh:
            fh.write(UNCOVERED)  # CartService: tested fails on coverage ("…%")
        (root / "docs/guides/pricing-service.md").unlink()  # PricingService: documented fails
        (root / "tests/test_misc.py").write_text("def test_broken():\n    assert False\n")
        pyproject = root / "pyproject.toml"
        text = pyproject.read_text().replace(
            'classes = ["*Service"]\n', 'classes = ["*Service"]\ninternal = ["Pricing*"]\n'
        )
        pyproject.write_text(text + '\n[tool.lockgate.gates]\nmocks = "off"\n')
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "break things")
        yield root


def test_configuration_is_found_from_a_subfolder(shop: Path) -> None:
    from_root = lockgate("align", "--json", "-j", "2", cwd=shop)
    assert from_root.code == 0, from_root.stderr
    inside = shop / "src" / "shop"
    from_cwd = lockgate("align", "--json", cwd=inside)
    from_path = lockgate("align", "--json", "src/shop", cwd=shop)
    for run in (from_cwd, from_path):
        assert run.code == 0, run.stderr
        assert run.json["project"] == str(shop)
        assert _verdicts(run) == _verdicts(from_root)
        assert run.json["summary"]["cache"]["misses"] == 0  # the same store, at the root
    why = lockgate("why", "CartService", "--json", cwd=inside)
    assert why.code == 0, why.stderr
    assert why.json["feature"] == "shop.features.cart.CartService"
    stats = lockgate("cache", "stats", "--json", "src", cwd=shop)
    assert stats.code == 0, stats.stderr
    assert not (inside / ".lockgate").exists()
    # GitHub's paths start at the repository's top; "," is escaped in a property
    github = lockgate("align", "--format", "github", cwd=inside)
    assert github.code == 0, github.stderr
    [(level, props, message)] = _annotations(github.stdout)
    assert level == "error"
    assert props["file"] == "shop%2Cv2/src/shop/features/cart.py", github.stdout
    assert _unescape(message) == "no guide: docs/guides/cart-service.md"


def test_no_configuration_up_to_the_git_top_is_one_line(tmp_path: Path) -> None:
    # A lockgate table above the repository belongs to something else: the walk stops at .git.
    (tmp_path / "pyproject.toml").write_text(
        '[tool.lockgate]\n[[tool.lockgate.features]]\nkind = "x"\npaths = ["."]\n'
    )
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[project]\nname = "other"\n')
    git(repo, "init", "-q")
    run = lockgate("align", cwd=repo / "pkg")
    assert run.code == 2
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "no [tool.lockgate] table" in lines[0]
    assert str(repo / "pkg") in lines[0] and f"up to {repo})" in lines[0]
    # a pyproject.toml on the way that cannot be parsed might hold the table: an error
    (repo / "pyproject.toml").write_text("[project\n")
    broken = lockgate("align", cwd=repo / "pkg")
    assert broken.code == 2 and len(broken.stderr.strip().splitlines()) == 1, broken.stderr
    assert f"{repo / 'pyproject.toml'}: invalid TOML" in broken.stderr


def test_fail_under_key(failing: Path) -> None:
    pyproject = failing / "pyproject.toml"
    original = pyproject.read_text()
    try:
        pyproject.write_text(
            original.replace("coverage = 80\n", "coverage = 80\nfail_under = 90\n")
        )
        run = lockgate("align", "-q", cwd=failing / "src")
        assert run.code == 1, run.stderr
        # both score 83; the internal one is scored, not gated
        assert "CartService (83)" in run.stderr and "PricingService" not in run.stderr
        # the flag overrides the key, either way
        assert lockgate("align", "-q", "--fail-under", "50", cwd=failing).code == 0
        # the key holds on the no-change path too, which serves the recorded result
        again = lockgate("align", "--json", cwd=failing)
        assert again.code == 1 and again.json["summary"]["cache"]["misses"] == 0, again.stderr
        pyproject.write_text(original.replace("coverage = 80\n", "coverage = 80\nfail_under = 0\n"))
        assert lockgate("align", "-q", cwd=failing).code == 0
        assert lockgate("align", "-q", "--fail-under", "90", cwd=failing).code == 1
        for bad in ("101", "-1", '"high"'):
            pyproject.write_text(
                original.replace("coverage = 80\n", f"coverage = 80\nfail_under = {bad}\n")
            )
            run = lockgate("align", cwd=failing)
            assert run.code == 2, (bad, run.stderr)
            assert len(run.stderr.strip().splitlines()) == 1, run.stderr
            assert "tool.lockgate.fail_under" in run.stderr
    finally:
        pyproject.write_text(original)


def _annotations(stdout: str) -> list[tuple[str, dict[str, str], str]]:
    out = []
    for line in stdout.splitlines():
        found = re.fullmatch(r"::(error|warning|notice)(?: ([^:]*))?::(.*)", line)
        if found:
            props = dict(p.split("=", 1) for p in (found[2] or "").split(",") if p)
            out.append((found[1], props, found[3]))
    return out


def _unescape(text: str) -> str:
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


def test_github_format_and_junit_xml_on_align(failing: Path) -> None:
    data = lockgate("align", "--json", cwd=failing)
    report = failing.parent / "align.xml"
    run = lockgate("align", "--format", "github", "--junit-xml", report, cwd=failing)
    assert run.code == 0, run.stderr
    found = _annotations(run.stdout)
    expected = [
        (f, layer, x["detail"])
        for f in data.json["features"]
        for layer, x in f["layers"].items()
        if not x["passed"]
    ]
    assert len(expected) == 2 and sum(f["internal"] for f, _, _ in expected) == 1
    features = [a for a in found if "line" in a[1]]
    assert len(features) == len(expected)
    for (level, props, message), (feature, layer, detail) in zip(features, expected, strict=True):
        assert level == ("warning" if feature["internal"] else "error")
        assert props["file"] == feature["path"] and props["line"] == str(feature["line"])
        assert _unescape(props["title"]) == f"{feature['id']} {layer}"
        assert _unescape(message) == detail
    coverage = next(m for _, _, m in features if "%25" in m)
    assert "%" not in coverage.replace("%25", "")  # every % escaped, none left raw
    suite = [a for a in found if a[1].get("file") == "tests/test_misc.py"]
    assert len(suite) == 1 and suite[0][0] == "error"
    assert run.stdout.splitlines()[-1].startswith("3 features, mean score ")
    assert len(found) == len(run.stdout.splitlines()) - 1

    # JUnit: one test case per feature layer and per suite file, counts as in the JSON
    tree = ET.parse(report).getroot()
    suite_el = tree.find("testsuite")
    assert suite_el is not None
    cases = suite_el.findall("testcase")
    layers = sum(len(f["layers"]) for f in data.json["features"])
    assert len(cases) == layers + len(data.json["suite"]) == int(suite_el.get("tests", ""))
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == len(expected) + 1 == int(suite_el.get("failures", ""))
    assert int(suite_el.get("skipped", "")) == 0 and int(tree.get("failures", "")) == 3
    by_key = {(c.get("classname"), c.get("name")): c for c in cases}
    for feature, layer, detail in expected:
        failure = by_key[(feature["id"], layer)].find("failure")
        assert failure is not None and failure.get("message") == detail
    assert by_key[("lockgate.suite", "tests/test_misc.py")].find("failure") is not None

    # --format json is --json; --json with --format github is a usage error; a missing folder
    assert _verdicts(lockgate("align", "--format", "json", cwd=failing)) == _verdicts(data)
    both = lockgate("align", "--json", "--format", "github", cwd=failing)
    assert both.code == 2 and len(both.stderr.strip().splitlines()) == 1, both.stderr
    nowhere = lockgate("align", "--junit-xml", failing / "no" / "such.xml", cwd=failing)
    assert nowhere.code == 2 and "--junit-xml" in nowhere.stderr, nowhere.stderr


def test_github_format_and_junit_xml_on_deploy(failing: Path) -> None:
    report = failing.parent / "deploy.xml"
    run = lockgate("deploy", "--format", "github", "--junit-xml", report, cwd=failing)
    assert run.code == 1, run.stderr
    data = lockgate("deploy", "--dry-run", "--json", cwd=failing)
    failed = {g["name"] for g in data.json["gates"] if not g["passed"]}
    assert {"integration", "tests"} <= failed
    gates = {
        _unescape(props["title"]): (level, message)
        for level, props, message in _annotations(run.stdout)
        if props.get("title", "").startswith("gate ")
    }
    assert set(gates) == {f"gate {name}" for name in failed}
    severity = {g["name"]: g["severity"] for g in data.json["gates"]}
    for name in failed:
        level = "error" if severity[name] == "error" else "warning"
        assert gates[f"gate {name}"][0] == level
    cases = ET.parse(report).getroot().findall("testsuite/testcase")
    gate_cases = {c.get("name"): c for c in cases if c.get("classname") == "lockgate.gates"}
    assert set(gate_cases) == {g["name"] for g in data.json["gates"]}
    assert gate_cases["integration"].find("failure") is not None
    assert gate_cases["version"].find("failure") is None
    assert gate_cases["mocks"].find("skipped") is not None  # off: judged nothing
    assert "gate mocks" not in gates


def test_pre_commit_hook_runs_lockgate(project: Any, tmp_path: Path) -> None:
    # The hook repository: this checkout's package as a git repository of its own, so that
    # what is tested is the working tree, committed or not.
    hook_repo = tmp_path / "lockgate-repo"
    hook_repo.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy(REPO / name, hook_repo / name)
    shutil.copytree(
        REPO / "src", hook_repo / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    git(hook_repo, "init", "-q")
    git(hook_repo, "add", "-A")
    git(hook_repo, "commit", "-q", "-m", "lockgate")
    rev = git(hook_repo, "rev-parse", "HEAD").strip()

    root = project("basic", commit=False)
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hook_repo}\n  rev: {rev}\n  hooks:\n  - id: lockgate\n"
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    # The hook must run the lockgate pre-commit installed, not this checkout's src.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    def pre_commit() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "--all-files"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )

    passed = pre_commit()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"^lockgate\.+Passed$", passed.stdout, re.M), passed.stdout
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("coverage = 80\n", "coverage = 80\nfail_under = 100\n")
    )
    (root / "docs/guides/cart-service.md").unlink()
    git(root, "commit", "-q", "-am", "drop a guide")
    failed = pre_commit()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert re.search(r"^lockgate\.+Failed$", failed.stdout, re.M), failed.stdout
    assert "CartService (83)" in failed.stdout  # lockgate's own words, shown by pre-commit


def test_shell_completion_prints_a_script() -> None:
    for shell, marker in (
        ("bash", "complete -o nosort -F _lockgate_completion lockgate"),
        ("zsh", "#compdef lockgate"),
    ):
        run = lockgate(env={"_LOCKGATE_COMPLETE": f"{shell}_source"})
        assert run.code == 0, run.stderr
        assert marker in run.stdout, run.stdout


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    tests = [b for b in blocks if "pytest" in b]
    assert len(tests) == 1, blocks
    command = tests[0].strip()
    assert command.startswith("scripts/setup-tests.sh && ")
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert ci[-1] == command
    setup = REPO / "scripts" / "setup-tests.sh"
    assert os.access(setup, os.X_OK)
    syntax = subprocess.run(["bash", "-n", str(setup)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
