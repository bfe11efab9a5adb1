"""Audit mode's cost: a window of audited runs against a cold run and a no-change run.

    python benchmarks/audit.py [--sizes 100] [--fraction 0.05] [--jobs N] [--repeat 3] [--keep]

For every size a project is generated (benchmarks/generate.py) in a temporary folder, and these
run one after another against its store, each one `lockgate align PATH --json --quiet`
subprocess timed on the wall clock:

    cold          the store is empty
    no change     nothing changed, no audit (median of --repeat runs)
    audited 1..W  nothing changed, `--audit FRACTION`: one whole window, W = ceil(1/FRACTION)
                  consecutive runs (the seed is the run's number), so every served result is
                  audited once in it

A run's overhead is its time minus the no-change median. The issue's target is "at most
FRACTION of a cold run, plus 5 %"; the table gives the mean overhead over the window and the
worst run's, both as a share of the cold run, and the load average, since this machine is
shared. Times are printed, never asserted; a window that did not audit every served result
once, or an audit that found a stored result wrong, prints a warning.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Audited:
    """One run of the window."""

    seed: int
    due: bool
    sampled: int
    seconds: float


@dataclass
class Size:
    """What one project size measured."""

    features: int
    results: int
    cold: float
    unchanged: float
    runs: list[Audited]
    window: int
    parts: int
    load: str

    def overhead(self, seconds: float) -> float:
        """A run's time beyond the no-change run, as a share of the cold run (in %)."""
        return 100 * (seconds - self.unchanged) / self.cold


def lockgate(binary: str, project: Path, *args: str) -> tuple[float, dict[str, Any]]:
    """One timed ``lockgate align`` of ``project``, and its JSON ({} when there is none)."""
    env = dict(os.environ)
    env.pop("LOCKGATE_DIR", None)  # the store must live in the generated project
    cmd = [binary, "align", str(project), "--json", "--quiet", *args]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    try:
        data: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"WARNING: {' '.join(args) or 'align'}: exit {proc.returncode}: {tail}")
        return seconds, {}
    return seconds, data


def load_average() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def measure(
    binary: str, features: int, fraction: float, jobs: list[str], repeat: int, keep: bool
) -> Size:
    workdir = Path(tempfile.mkdtemp(prefix=f"lockgate-audit-{features}-"))
    project = workdir / "project"
    try:
        generate(project, features)
        before = load_average()
        cold, data = lockgate(binary, project, *jobs)
        results = int(data.get("summary", {}).get("cache", {}).get("misses", 0))
        unchanged = statistics.median(lockgate(binary, project, *jobs)[0] for _ in range(repeat))
        runs: list[Audited] = []
        window = parts = 0
        served: int | None = None
        while not runs or len(runs) < window:
            seconds, data = lockgate(binary, project, *jobs, "--audit", str(fraction))
            summary = data.get("summary", {})
            audit = summary.get("audit", {})
            window, parts = int(audit.get("window", 1)), int(audit.get("parts", 1))
            if audit.get("mismatches"):
                print(f"WARNING: run {audit.get('seed')}: the audit found a stored result wrong")
            if not audit.get("due"):
                served = int(summary.get("cache", {}).get("hits", 0))
            runs.append(
                Audited(
                    int(audit.get("seed", 0)),
                    bool(audit.get("due")),
                    int(audit.get("sampled", 0)),
                    seconds,
                )
            )
        audited = sum(r.sampled for r in runs)
        if served is not None and audited != served:
            print(
                f"WARNING: {features} features: the window audited {audited} "
                f"of {served} served results"
            )
        return Size(
            features, results, cold, unchanged, runs, window, parts, f"{before} → {load_average()}"
        )
    finally:
        if keep:
            print(f"kept {project}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table, its columns as wide as their widest cell."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), rule, *map(line, rows)])


def report(sizes: list[Size], fraction: float) -> str:
    target = 100 * fraction + 5
    summary = []
    for s in sizes:
        mean = statistics.fmean(r.seconds for r in s.runs)
        worst = max(s.runs, key=lambda r: r.seconds)
        summary.append(
            [
                str(s.features),
                str(s.results),
                f"{s.cold:.2f}",
                f"{s.unchanged:.2f}",
                f"{s.window} ({s.parts} due)",
                f"{mean:.2f}",
                f"{s.overhead(mean):.1f} %",
                f"{worst.seconds:.2f}",
                f"{s.overhead(worst.seconds):.1f} %",
                f"{target:.0f} %",
                s.load,
            ]
        )
    out = [
        f"Audit mode at --audit {fraction} (target: at most {target:.0f} % of a cold run)",
        "",
        table(
            [
                "features",
                "results",
                "cold s",
                "no change s",
                "window (runs)",
                "audited s, mean",
                "mean overhead / cold",
                "worst run s",
                "worst overhead / cold",
                "target",
                "load average 1/5/15 min",
            ],
            summary,
        ),
    ]
    for s in sizes:
        out += [
            "",
            f"{s.features} features, every run of the window:",
            "",
            table(
                ["seed", "due", "sampled", "wall s", "overhead / cold"],
                [
                    [
                        str(r.seed),
                        "yes" if r.due else "",
                        str(r.sampled),
                        f"{r.seconds:.2f}",
                        f"{s.overhead(r.seconds):.1f} %",
                    ]
                    for r in s.runs
                ],
            ),
        ]
    return "\n".join(out)


def _default_lockgate() -> str:
    venv = ROOT / ".venv" / "bin" / "lockgate"
    return str(venv) if venv.exists() else (shutil.which("lockgate") or "lockgate")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100", help="comma-separated feature counts")
    parser.add_argument("--fraction", type=float, default=0.05, help="the --audit FRACTION")
    parser.add_argument("--jobs", type=int, help="passed to lockgate as --jobs N")
    parser.add_argument("--repeat", type=int, default=3, help="no-change runs (median reported)")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects")
    parser.add_argument("--lockgate", default=_default_lockgate(), help="lockgate script")
    args = parser.parse_args(argv)
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    sizes = [
        measure(args.lockgate, int(n), args.fraction, jobs, args.repeat, args.keep)
        for n in args.sizes.split(",")
        if n.strip()
    ]
    print(report(sizes, args.fraction))
    print(f"\n{os.cpu_count()} CPUs; times are wall seconds and never fail this script.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
