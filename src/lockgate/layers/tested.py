"""tested: the feature's own tests pass and cover its module to at least ``coverage`` percent."""

from __future__ import annotations

import fnmatch
import glob
import importlib.util
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from lockgate.execution.results import BatchResult, FileOutcome, coverage_of
from lockgate.layers.base import PYTEST, Context, Inputs
from lockgate.model import Feature
from lockgate.project.names import snake
from lockgate.words import counted, plural

if TYPE_CHECKING:
    from lockgate.project.config import Config

NAME = "tested"
# 2: templates and pytest usage errors no longer fail; stored such failures rerun
# 3: owners settled before planning; coverage counts imports and shared fixtures per user
VERSION = 3
RUNS_IN = PYTEST  # the pytest child runs the test files


def owners(ctx: Context) -> dict[str, list[str]]:
    """Feature id → its test files: those importing its module directly, or named after it."""
    out: dict[str, list[str]] = {f.id: [] for f in ctx.features}
    by_path: dict[str, list[Feature]] = {}
    by_name: dict[str, list[Feature]] = {}
    for f in ctx.features:
        by_path.setdefault(f.path, []).append(f)
        by_name.setdefault(f"test_{snake(f.name)}.py", []).append(f)
        by_name.setdefault(f"test_{f.module.rpartition('.')[2]}.py", []).append(f)
    for test in ctx.project.test_files:
        claimed: dict[str, None] = {}
        for imported in ctx.graph.imports_of(test):
            claimed.update((f.id, None) for f in by_path.get(imported, ()))
        claimed.update((f.id, None) for f in by_name.get(test.rpartition("/")[2], ()))
        for fid in claimed:
            out[fid].append(test)
    for feature in ctx.features:
        for extra in declared_owners(ctx, feature):
            if extra not in out[feature.id]:
                out[feature.id].append(extra)
    return out


def found_by(ctx: Context, fid: str, test: str) -> str:
    """Why the tree makes ``test`` a test file of feature ``fid``, in words."""
    feature = next(f for f in ctx.features if f.id == fid)
    if feature.path in ctx.graph.imports_of(test):
        return f"imports {feature.module}"
    name = test.rpartition("/")[2]
    if name in (f"test_{snake(feature.name)}.py", f"test_{feature.module.rpartition('.')[2]}.py"):
        return "named after it"
    return "[tool.lockgate.owners]"


def import_hints(ctx: Context) -> list[str]:
    """One warning per test file import that no ``src`` root (nor the project root) resolves
    but that names a feature module under another folder: the ``src`` entry that would make
    it the feature's test (a test that puts the folder on ``sys.path`` itself is found after
    it ran, see :mod:`lockgate.keys.owners`)."""
    tails: dict[str, list[tuple[str, str]]] = {}  # dotted name → (folder, feature module)
    for path in dict.fromkeys(f.path for f in ctx.features):
        parts = path.removesuffix(".py").split("/")
        if parts[-1] == "__init__":
            parts.pop()
        for i in range(1, len(parts)):
            tails.setdefault(".".join(parts[i:]), []).append(("/".join(parts[:i]), path))
    modules = ctx.project.modules
    src = set(ctx.project.config.src)
    out: list[str] = []
    for test in ctx.project.test_files:
        facts = ctx.facts.get(test)
        for written, level, _names in facts.imports if facts else ():
            name = ctx.graph.absolute(test, written, level)
            candidates = [(d, p) for d, p in tails.get(name, ()) if d not in src]
            if level or not candidates or name in modules or _installed(name):
                continue
            folder, path = candidates[0]
            out.append(
                f"{test} imports {name}, which no src root holds; {path} would be it: "
                f'add "{folder}" to [tool.lockgate] src'
            )
    return list(dict.fromkeys(out))


def _installed(name: str) -> bool:
    """The top-level package of ``name`` is the standard library's or installed."""
    top = name.partition(".")[0]
    if top in sys.stdlib_module_names:
        return True
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def declared_owners(ctx: Context, feature: Feature) -> list[str]:
    """Extra test files of ``feature`` from ``[tool.lockgate.owners]``: every entry whose key
    is its id or an fnmatch pattern matching it, each glob expanded over the project's Python
    files. A path without wildcards is kept even when absent, so that the run reports it as
    "no such test file" instead of passing without it."""
    found: list[str] = []
    for key, globs in ctx.project.config.owners.items():
        if key != feature.id and not fnmatch.fnmatchcase(feature.id, key):
            continue
        for pattern in globs:
            if glob.has_magic(pattern):
                found += [p for p in ctx.project.python_files if fnmatch.fnmatch(p, pattern)]
            else:
                found.append(pattern.strip("/"))
    return list(dict.fromkeys(found))


def unowned(ctx: Context) -> list[str]:
    """Test files that belong to no feature."""
    owned = {t for tests in ctx.owners.values() for t in tests}
    return [t for t in ctx.project.test_files if t not in owned]


def suite_inputs(ctx: Context, tests: list[str]) -> tuple[frozenset[str], ...]:
    """What running ``tests`` depends on: the files and their closures (each closure holds its
    file), every conftest and what it imports, pytest's configuration, declared inputs."""
    return (*(ctx.graph.closure(t) for t in tests), ctx.conftest_part, ctx.declared)


def _pytest_config(ctx: Context) -> object:
    return ctx.project.loaded.pyproject.get("tool", {}).get("pytest", {})


def inputs(ctx: Context, feature: Feature) -> Inputs:
    """The import closure, the test files and their closures, conftests, pytest configuration."""
    cfg = ctx.project.config
    tests = ctx.owners[feature.id]
    parts = (ctx.graph.closure(feature.path), *suite_inputs(ctx, tests))
    config = {
        "feature": feature.id,
        "tests": tests,
        "coverage": cfg.coverage,
        "timeout": cfg.timeout,
        "src": cfg.src,
        "pytest": _pytest_config(ctx),
    }
    if cfg.timeouts:  # absent when unset, so that existing keys stay as they were
        config["timeouts"] = [timeout_for(cfg, t) for t in tests]
    if cfg.retries:  # a pass on a retry is a weaker pass: it is not served to a stricter run
        config["retries"] = cfg.retries
    # [tool.coverage] decides which lines are statements (the other coverage files are inputs)
    measured = ctx.project.loaded.pyproject.get("tool", {}).get("coverage")
    if measured is not None:
        config["coverage_config"] = measured
    return Inputs(parts, config)


def timeout_for(cfg: Config, test: str) -> float:
    """The seconds ``test`` may take: the ``timeouts`` glob that matches it (the longest
    pattern when several do, as the most specific), else ``timeout``."""
    matching = [g for g in cfg.timeouts if fnmatch.fnmatch(test, g)]
    return cfg.timeouts[max(matching, key=lambda g: (len(g), g))] if matching else cfg.timeout


def suite_config(ctx: Context, test: str) -> dict[str, object]:
    """The configuration a test file of no feature is keyed on."""
    cfg = ctx.project.config
    config: dict[str, object] = {
        "suite": test,
        "timeout": cfg.timeout,
        "src": cfg.src,
        "pytest": _pytest_config(ctx),
    }
    if cfg.timeouts:  # absent when unset, so that existing keys stay as they were
        config["timeouts"] = timeout_for(cfg, test)
    if cfg.retries:
        config["retries"] = cfg.retries
    return config


def _outcome_problem(outcomes: Mapping[str, FileOutcome]) -> str:
    problems = [f"{path}: {o.problem}" for path, o in outcomes.items() if o.problem]
    failures = [node for o in outcomes.values() for node in o.failures]
    total = sum(o.passed + o.failed for o in outcomes.values())
    if failures:
        problems.insert(
            0,
            f"{len(failures)} of {counted(total, 'test')} failed: {', '.join(failures[:5])}"
            + (" …" if len(failures) > 5 else ""),
        )
    if not problems and total == 0:
        problems.append("no test ran (all skipped or none collected)")
    retried = [o for o in outcomes.values() if o.retries and o.retry == o.retries]
    if problems and retried:
        runs = retried[0].retries + 1
        problems.append(f"{', '.join(o.path for o in retried)} failed on every one of {runs} runs")
    return "; ".join(problems)


def _flaky(outcomes: Mapping[str, FileOutcome]) -> str:
    """The note of a pass that needed retries, as pytest-rerunfailures reports one."""
    notes = [
        f"{o.path} passed on retry {o.retry} of {o.retries}" for o in outcomes.values() if o.retry
    ]
    return f"; flaky: {', '.join(notes)}" if notes else ""


def judge(ctx: Context, feature: Feature, batch: BatchResult) -> tuple[bool, str]:
    """Verdict from the batched run: failures first, then coverage of the feature's own module."""
    tests = ctx.owners[feature.id]
    if not tests:
        last = feature.module.rpartition(".")[2]
        return False, (
            f"no tests: no test file imports {feature.module}, and there is no "
            f"test_{snake(feature.name)}.py or test_{last}.py"
        )
    outcomes = {t: batch.files[t] for t in tests}
    problem = _outcome_problem(outcomes)
    if problem:
        return False, problem
    total = sum(o.passed for o in outcomes.values())
    real = ctx.project.real_path(feature.path)
    measured = coverage_of(batch, real, tests)
    need = ctx.project.config.coverage
    imported = any(real in o.loaded for o in outcomes.values())
    if measured is None and (imported or real in batch.coverage):
        return False, f"{_tests(total)} ran, but coverage of {feature.path} could not be measured"
    percent = 0.0 if measured is None else measured[0]
    if percent < need:
        # not measured and never imported, or no line run: 0% is what was measured
        never = "" if imported or (measured and measured[1]) else ": its tests never import it"
        return False, (
            f"{_tests(total)} {plural(total, 'passes')} but {plural(total, 'covers')} "
            f"{percent:.1f}% of {feature.path} (needs {need:g}%){never}"
        )
    return True, f"{_tests(total)}, {percent:.1f}% of {feature.path}{_flaky(outcomes)}"


def suite_verdict(outcome: FileOutcome) -> tuple[bool, str]:
    """Verdict for one test file of no feature. A file pytest runs no test of (ignored by
    ``collect_ignore``, every test skipped, none defined) passes as it does for pytest: it
    validates no feature, so it proves nothing that needs proving."""
    if outcome.problem is None and outcome.failed == 0 and outcome.passed == 0:
        return True, f"no test ran ({outcome.skipped} skipped, none failed)"
    problem = _outcome_problem({outcome.path: outcome})
    return (not problem, problem or _tests(outcome.passed) + _flaky({outcome.path: outcome}))


def _tests(count: int) -> str:
    return counted(count, "test")
