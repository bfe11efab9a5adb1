"""Time the console view of an align at 1,000 and 10,000 features, in each view.

    python benchmarks/render.py [--sizes 1000,10000] [--width 80] [--repeat 5]

Builds ``AlignResult`` objects shaped like a generated project's (about 85 % healthy, the rest
with one failed layer each and its reason, a few critical), renders them with the console
report into memory, and prints the median render time (wall clock and CPU) and the line
count per view. It never
fails on a time (issue 13's goal: default view <= 50 ms at 1,000 features, <= 0.3 s at
10,000).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import time

from lockgate.layers.scoring import status
from lockgate.model import LAYERS, AlignResult, Feature, FeatureResult, LayerResult, SuiteResult
from lockgate.report.console import View, print_align
from lockgate.report.screen import Screen

DETAILS = {
    "documented": "no guide: docs/guides/{kebab}.md",
    "tested": "1 test passes but covers 46.9% of src/gen/agents/{snake}.py (needs 70%)",
    "wired": (
        "not named by an entry point, not referenced from an entry module (gen.cli), "
        "not in a map file (config/routes.yaml)"
    ),
    "instantiated": (
        "constructor needs arguments (url) and no factory is configured under "
        '[tool.lockgate.instantiate] "gen.agents.{snake}.{name}"'
    ),
}


def result_of(features: int, seed: int = 0) -> AlignResult:
    """An align of ``features`` features: most healthy, some with one or two failed layers."""
    rng = random.Random(seed)
    rows = []
    for i in range(features):
        kind = "orchestrator" if i % 5 == 0 else "agent"
        name = f"Feature{i:05d}{kind.capitalize()}"
        snake = f"feature{i:05d}_{kind}"
        feature = Feature(
            f"gen.{kind}s.{snake}.{name}", name, kind, f"gen.{kind}s.{snake}",
            f"src/gen/{kind}s/{snake}.py", 10, internal=i % 97 == 0,
        )  # fmt: skip
        failed = set()
        roll = rng.random()
        if roll < 0.15:
            failed.add(rng.choice(sorted(DETAILS)))
        if roll < 0.01:
            failed.add(rng.choice(sorted(DETAILS)))
        layers = {
            layer: LayerResult(
                layer not in failed,
                DETAILS.get(layer, "").format(kebab=snake.replace("_", "-"), snake=snake, name=name)
                if layer in failed
                else "",
                0.01,
                cached=True,
            )
            for layer in LAYERS
        }
        score = round(100 * sum(layer not in failed for layer in LAYERS) / len(LAYERS))
        rows.append(FeatureResult(feature, layers, score, status(score)))
    suite = [SuiteResult("tests/test_common.py", True, "4 tests", True)]
    return AlignResult("/tmp/project", 80, rows, ["ArchiveAgent"], 6 * features, 0, 0.14, suite)


def render(result: AlignResult, view: View, width: int) -> tuple[float, float, int]:
    """Wall and CPU seconds to render ``result`` in ``view``, and the lines printed."""
    out = io.StringIO()
    wall, cpu = time.perf_counter(), time.process_time()
    print_align(result, Screen(width, False, out), view)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu, out.getvalue().count("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated feature counts")
    parser.add_argument("--width", type=int, default=80, help="console width (default 80)")
    parser.add_argument("--repeat", type=int, default=5, help="renders per cell (median)")
    args = parser.parse_args(argv)
    # on a shared machine the load of other processes easily doubles these times
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load}, width {args.width}, medians of {args.repeat} renders\n")
    # CPU time as well: under load the wall clock also counts other processes' turns
    print("| features | view | wall ms | CPU ms | lines |")
    print("| ---: | --- | ---: | ---: | ---: |")
    for size in (int(s) for s in args.sizes.split(",")):
        result = result_of(size)
        views: tuple[View, ...] = ("default", "verbose", "quiet")
        for view in views:
            runs = [render(result, view, args.width) for _ in range(args.repeat)]
            wall = 1000 * statistics.median(r[0] for r in runs)
            cpu = 1000 * statistics.median(r[1] for r in runs)
            print(f"| {size:,} | {view} | {wall:.1f} | {cpu:.1f} | {runs[0][2]:,} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
