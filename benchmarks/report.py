"""Time ``lockgate report``'s page at scale: render and write the HTML for N features.

The features are built in memory the way align builds them (layer verdicts scored with the
default weights, a performance measurement each, realistic failure details), with 20 recorded
runs, so this measures the page alone, not align. Prints a table; never fails on time.

    .venv/bin/python benchmarks/report.py [--sizes 1000,10000] [--chromium /usr/bin/chromium]

With ``--chromium``, each page is also opened in that headless browser (through playwright) and
the time to its load event, and to sorting the feature table by score with a click, is printed.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from lockgate.layers import scoring
from lockgate.model import LAYERS, AlignResult, Feature, FeatureResult, LayerResult, Performance
from lockgate.project.config import Weights
from lockgate.report import html

DETAILS = {
    "documented": "no guide: docs/guides/{kebab}.md",
    "tested": "no tests: no test file imports gen.agents.{module}, no test_{module}.py",
    "wired": "not named by an entry point, not referenced from any entry module, not in a map",
}


def features(count: int, seed: int = 0) -> list[FeatureResult]:
    rng = random.Random(seed)
    weights = Weights()
    out = []
    for i in range(count):
        kind = "orchestrator" if i % 5 == 4 else "agent"
        name = f"Unit{i:05d}{kind.title()}"
        module = f"unit{i:05d}"
        feature = Feature(f"gen.{kind}s.{module}.{name}", name, kind, f"gen.{kind}s.{module}",
                          f"src/gen/{kind}s/{module}.py", 3, False)  # fmt: skip
        layers = {}
        for layer in LAYERS:
            failed = layer in DETAILS and rng.random() < 0.15
            detail = DETAILS[layer].format(kebab=module, module=module) if failed else ""
            layers[layer] = LayerResult(not failed, detail, rng.random() / 10, cached=True)
        value = scoring.score(layers, weights)
        import_ms = rng.uniform(1, 80)
        perf = Performance(100 if import_ms < 50 else 60, import_ms < 50, import_ms,
                           rng.uniform(0.1, 5), rng.uniform(1, 20), True, None, "")  # fmt: skip
        out.append(FeatureResult(feature, layers, value, scoring.status(value), perf))
    return out


def stats(runs: int = 20) -> dict[str, object]:
    recent = [
        {
            "started": f"2026-12-01T{h:02d}:00:00Z",
            "command": "align",
            "hits": 6000 - h,
            "misses": h,
            "hit_rate": round((6000 - h) / 6000, 3),
            "seconds": 0.1 + h / 10,
            "saved": 20.0,
            "mean_score": 90.0 - h / 10,
        }
        for h in range(runs)
    ]
    totals = {"runs": runs, "hits": 0, "misses": 0, "hit_rate": None, "saved": 0.0}
    return {"store": "/tmp/store.sqlite", "bytes": 1 << 20, "layers": [], "runs": recent,
            "totals": totals, "ages": {}}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--chromium", metavar="PATH", help="also time loading the page here")
    args = parser.parse_args()
    print("| features | bytes | render s | write s | load s | sort s |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in (int(s) for s in args.sizes.split(",")):
        result = AlignResult("/tmp/gen", 80, features(size), [], 6 * size, 0, 0.1)
        report = html.Report(result, None, "no commit", stats(), "", "50 ms, 64 MB")
        started = time.perf_counter()
        page = html.render(report)
        rendered = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "report.html"
            started = time.perf_counter()
            html.write(target, page)
            written = time.perf_counter() - started
            load, sort = _browser(target, args.chromium) if args.chromium else ("-", "-")
        row = f"| {size:,} | {len(page.encode()):,} | {rendered:.2f} | {written:.3f} |"
        print(f"{row} {load} | {sort} |")


def _browser(target: Path, chromium: str) -> tuple[str, str]:
    """Seconds to the load event, and to sorting by score, in headless Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            started = time.perf_counter()
            page.goto(target.as_uri(), wait_until="load")
            load = time.perf_counter() - started
            started = time.perf_counter()
            page.locator("#features th[data-sort=score]").click()
            page.evaluate("new Promise(requestAnimationFrame)")
            sort = time.perf_counter() - started
        finally:
            browser.close()
    return f"{load:.2f}", f"{sort:.2f}"


if __name__ == "__main__":
    main()
