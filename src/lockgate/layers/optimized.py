"""optimized: import + construction within ``budget_ms`` and ``budget_mb``; benchmark tests too.

Measured serially, one fresh forked child per feature, after every other layer: timings taken
while other work runs are noise. The result depends on the machine, so the machine is part of
the key, and it goes stale after ``ttl`` seconds.
"""

from __future__ import annotations

import json
import os
import platform
from functools import cache

from lockgate.execution.results import BatchResult
from lockgate.execution.worker import ModuleOutcome
from lockgate.layers.base import MEASURE, Context, Inputs
from lockgate.layers.tested import suite_inputs
from lockgate.model import Feature, LayerResult, Performance

NAME = "optimized"
VERSION = 1
RUNS_IN = MEASURE  # one measurement child per feature, then benchmark tests


@cache
def machine() -> dict[str, object]:
    """What makes timings on this machine comparable only with this machine's."""
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            model = next(
                (ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), ""
            )
    except OSError:
        pass
    return {
        "node": platform.node(),
        "machine": platform.machine(),
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
    }


def benchmark_tests(ctx: Context, feature: Feature) -> list[str]:
    """The feature's test files under a ``performance`` folder."""
    return [t for t in ctx.owners[feature.id] if "/performance/" in f"/{t}"]


def inputs(ctx: Context, feature: Feature) -> Inputs:
    """The import closure, the factory, the benchmark tests, the budgets and the machine."""
    perf = ctx.project.config.performance
    tests = benchmark_tests(ctx, feature)
    parts: tuple[frozenset[str], ...] = (ctx.graph.closure(feature.path), ctx.declared)
    if tests:
        parts += suite_inputs(ctx, tests)
    factory = ctx.project.config.instantiate.get(feature.id)
    if factory:
        parts += (ctx.module_closure(factory.partition(":")[0]),)
    config = {
        "feature": feature.id,
        "budget_ms": perf.budget_ms,
        "budget_mb": perf.budget_mb,
        "factory": factory,
        "tests": tests,
        "machine": machine(),
        "src": ctx.project.config.src,
    }
    return Inputs(parts, config)


def judge(
    ctx: Context, feature: Feature, got: ModuleOutcome, batch: BatchResult
) -> tuple[bool, str]:
    """Verdict and a JSON detail holding the measurements."""
    perf = ctx.project.config.performance
    built = got.classes.get(feature.name)
    import_ms = round(got.imported.seconds * 1000, 2) if got.imported.ok else None
    build_ms = round(built.seconds * 1000, 2) if built and built.ok else None
    numbers: dict[str, object] = {
        "import_ms": import_ms,
        "instantiate_ms": build_ms,
        "peak_mb": got.peak_mb,
    }
    problems = []
    if import_ms is None:
        problems.append(f"could not measure: {got.imported.detail}")
    elif build_ms is None:
        problems.append(f"could not measure: {built.detail if built else 'not constructed'}")
    else:
        total = import_ms + build_ms
        if total > perf.budget_ms:
            problems.append(
                f"import + construction took {total:.1f} ms (budget {perf.budget_ms:g})"
            )
        if got.peak_mb is not None and got.peak_mb > perf.budget_mb:
            problems.append(f"memory grew {got.peak_mb:.1f} MB (budget {perf.budget_mb:g})")
    tests = benchmark_tests(ctx, feature)
    test_ms = 0.0
    for test in tests:
        outcome = batch.files[test]
        test_ms += outcome.seconds * 1000
        if not outcome.ok:
            problems.append(f"{test}: {outcome.problem or 'benchmark tests failed'}")
    if tests:
        numbers["tests_ms"] = round(test_ms, 1)
        if test_ms > perf.budget_ms:
            problems.append(f"benchmark tests took {test_ms:.0f} ms (budget {perf.budget_ms:g})")
    numbers["problems"] = problems
    return not problems, json.dumps(numbers, sort_keys=True)


def performance(ctx: Context, result: LayerResult) -> Performance:
    """The performance summary of one optimized-layer result."""
    perf = ctx.project.config.performance
    data = json.loads(result.detail)
    import_ms, instantiate_ms = data.get("import_ms"), data.get("instantiate_ms")
    peak = data.get("peak_mb")
    if import_ms is None or instantiate_ms is None:
        score = 0
    else:
        ratios = [perf.budget_ms / max(import_ms + instantiate_ms, 1e-9)]
        if peak:
            ratios.append(perf.budget_mb / peak)
        if "tests_ms" in data:
            ratios.append(perf.budget_ms / max(data["tests_ms"], 1e-9))
        score = round(100 * min(1.0, *ratios))
        if data["problems"] and score == 100:
            score = 0  # a failing benchmark test is not a near-miss
    return Performance(
        score=score,
        passed=result.passed,
        import_ms=import_ms,
        instantiate_ms=instantiate_ms,
        peak_mb=peak,
        cached=result.cached,
        expires=result.expires,
        detail="; ".join(data["problems"]),
    )
