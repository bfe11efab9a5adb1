"""Side by side: lockgate, plain `pytest --cov` and pytest-testmon on the same generated projects.

    python benchmarks/compare.py [--sizes 100,1000] [--repeat 3] [--keep] [--out PATH]

For every size, one project is generated three times (identical files, identical commit) in a
temporary folder, one copy per tool, so that no tool sees another's caches (lockgate's
`.lockgate/`, testmon's `.testmondata`, coverage's `.coverage`, `__pycache__`). Then, in one
run, each scenario times one subprocess per tool (wall clock, `time.perf_counter`):

    lockgate   lockgate align PATH --json --quiet            (--jobs: lockgate's default, the cores)
    pytest     pytest --cov=src -q -p no:cacheprovider       (the whole suite, one process)
    testmon    pytest --testmon -q                           (testmon needs the cacheprovider)

    cold                      nothing cached: empty store, first testmon run
    no change                 nothing changed (median of --repeat runs per tool)
    one helper body edited    clamp's body in src/gen/common/helpers_0.py rewritten, same results
    one shared helper edited  a function appended to src/gen/common/helpers_0.py (run.py's edit)
    two feature files edited  a constant changed in two agent modules (run.py's edit), plus
                              `pytest --cov=src` of only the test files of the features whose
                              `tested` layer lockgate re-ran (the "affected tests only" floor)

`PYTHONDONTWRITEBYTECODE` is unset for every tool, so each may cache bytecode as it normally
would. The issue's targets are checked and printed as met / missed; times never make this script
fail. Sanity problems (unexpected exit codes, a no-change lockgate run with misses, a verdict the
generator did not plant) are printed as warnings and listed at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import run
from generate import generate
from run import (
    LOCKGATE,
    ROOT,
    WARNINGS,
    check_verdicts,
    edit_features,
    edit_helper,
    edit_helper_body,
    expect,
    interpreter,
    lockgate_json,
    source_state,
    timed,
    uncached,
    warn,
)

OUT = ROOT / "benchmarks" / "out" / "compare.md"
TOOLS = ("lockgate", "pytest", "testmon")
PYTEST_FLAGS = ["-q", "-p", "no:cacheprovider"]
# testmon cannot run without pytest's cacheprovider: testmon/configure.py reads the `lf` option
# (`--lf`), which only that plugin defines, and stops with INTERNALERROR KeyError: 'lf'. So
# testmon keeps it; its `.pytest_cache/` lives in testmon's own copy and nothing reads it.
TESTMON_FLAGS = ["-q"]
NO_TESTS = 5  # pytest's exit code when no test was selected (testmon after no change)
TARGETS_NOTE = "targets from issue 5, stated for 2 cores"


@dataclass
class Cell:
    """One timed run of one tool."""

    seconds: float
    code: int
    note: str = ""
    runs: list[float] = field(default_factory=list)  # every run, when a median was taken


@dataclass
class Scenario:
    """One row of the table: the three tools, plus the affected-tests floor for edits."""

    name: str
    cells: dict[str, Cell] = field(default_factory=dict)
    affected: Cell | None = None  # `pytest --cov` of only the affected features' tests
    note: str = ""


@dataclass
class SizeResult:
    size: int
    files: int
    scenarios: list[Scenario]
    load_before: float
    load_after: float
    load_max: float
    targets: list[tuple[str, str, bool]]  # (target, measured, met)


LOADS: list[float] = []  # 1-minute load average sampled before every measured command


def sample_load() -> float:
    try:
        value = os.getloadavg()[0]
    except OSError:
        return 0.0
    LOADS.append(value)
    return value


# ----------------------------------------------------------------------------------------- tools


def pytest_cmd(python: str) -> list[str]:
    """The venv's `pytest` script next to ``python``, else ``python -m pytest``."""
    script = Path(python).parent / "pytest"
    return [str(script)] if script.exists() else [python, "-m", "pytest"]


_COUNTS = re.compile(r"(\d+) (passed|failed|errors?|deselected|skipped)")


def pytest_summary(stdout: str) -> str:
    """``passed=N deselected=M`` from pytest's last summary line."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    counts = " ".join(f"{word}={n}" for n, word in _COUNTS.findall(last))
    return counts or last.strip("= ")[:80]


def run_pytest(
    pytest: list[str], project: Path, args: list[str], label: str, ok: tuple[int, ...] = (0,)
) -> Cell:
    sample_load()
    flags = TESTMON_FLAGS if "--testmon" in args else PYTEST_FLAGS
    seconds, proc = timed([*pytest, *args, *flags], cwd=project)
    cell = Cell(seconds, proc.returncode, pytest_summary(proc.stdout))
    if proc.returncode == NO_TESTS and NO_TESTS in ok:
        cell.note = f"no test selected (exit {NO_TESTS})"
    elif proc.returncode not in ok:
        tail = (proc.stdout.strip() + "\n" + proc.stderr.strip()).strip()[-400:]
        warn(f"{label}: exit {proc.returncode} (expected {ok}): {tail}")
        cell.note += f" exit {proc.returncode}!"
    return cell


def run_lockgate(lockgate: str, project: Path, label: str, *, misses_zero: bool | None) -> Cell:
    """One `lockgate align` (run.py's wrapper: JSON kept, exit code and verdicts checked)."""
    guard(label)
    sample_load()
    saved = os.environ.get("PYTHONPATH")
    if SNAPSHOT is not None:
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SNAPSHOT), saved]))
    try:
        row, data = lockgate_json(lockgate, ["align", str(project)], label)
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
    if misses_zero is not None:
        expect(row, data, misses_zero=misses_zero)
    check_verdicts(label, data)
    cell = Cell(row.seconds, row.code if row.code is not None else -1)
    if cell.code == 1:  # lockgate_json warns about other codes; every generated score is >= 80
        warn(f"{label}: lockgate exit 1, but every feature of a generated project should pass")
    cell.note = f"hits={row.hits} misses={row.misses}"
    if not misses_zero:
        cell.note += f"; re-ran {uncached(data) or 'nothing'}"
    cell.runs = [row.seconds]
    LAST_JSON.clear()
    LAST_JSON.update(data)
    return cell


LAST_JSON: dict[str, Any] = {}  # the JSON of the last lockgate run
SNAPSHOT: Path | None = None  # a copy of src/lockgate taken at the start, put first on PYTHONPATH
STAMP: list[str] = []  # what lockgate's store depends on outside the project, as last seen


def environment_stamp(python: str) -> str:
    """The installed distributions' METADATA stats (lockgate's environment fingerprint reads
    them) and, without a snapshot, the lockgate source (HEAD and uncommitted changes in src/).
    """
    venv = Path(python).parent.parent
    stats = [
        f"{p.parent.name}:{p.stat().st_mtime_ns}"
        for p in sorted(venv.glob("lib/python*/site-packages/*.dist-info/METADATA"))
    ]
    if SNAPSHOT is None:
        for args in (["rev-parse", "HEAD"], ["diff", "HEAD", "--", "src"]):
            proc = subprocess.run(
                ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False
            )
            stats.append(hashlib.sha256(proc.stdout.encode()).hexdigest())
    return hashlib.sha256("\n".join(stats).encode()).hexdigest()


def guard(label: str) -> None:
    """Warn when lockgate's code or environment changed since its previous run: the store is
    then rightly invalidated and the timings that follow are not comparable."""
    stamp = environment_stamp(PYTHON)
    if STAMP and STAMP[-1] != stamp:
        warn(
            f"{label}: lockgate's environment or source changed since its previous run "
            "(another process reinstalled packages or edited src/); its cache was invalidated "
            "by that, so lockgate's timings from here on are not comparable: run again"
        )
    STAMP[:] = [stamp]


PYTHON = sys.executable  # the interpreter lockgate runs under (set in main)


def affected_tests(project: Path, data: dict[str, Any]) -> list[str]:
    """Test files of the features whose `tested` layer lockgate re-ran."""
    out: list[str] = []
    for feature in data.get("features", []):
        tested = feature.get("layers", {}).get("tested")
        if tested is None or tested.get("cached", True):
            continue
        rel = f"tests/test_{Path(feature.get('path', '')).stem}.py"
        if (project / rel).exists():
            out.append(rel)
        else:
            warn(f"affected tests: {rel} (for {feature.get('id')}) does not exist")
    return sorted(set(out))


def median_cell(cells: list[Cell]) -> Cell:
    runs = [c.seconds for c in cells]
    out = Cell(statistics.median(runs), max(c.code for c in cells), cells[0].note, runs)
    if len(runs) > 1:
        spread = " ".join(f"{r:.2f}" for r in runs)
        out.note = (f"{out.note}; " if out.note else "") + f"median of {len(runs)}: {spread}"
    return out


# ------------------------------------------------------------------------------------- scenarios


def run_size(
    size: int,
    lockgate: str,
    python: str,
    repeat: int,
    keep: bool,
    seed: int,
    big_conftest: bool = False,
    real_shaped: bool = False,
) -> SizeResult:
    workdir = Path(tempfile.mkdtemp(prefix=f"lockgate-compare-{size}-"))
    copies = {tool: workdir / tool for tool in TOOLS}
    pytest = pytest_cmd(python)
    cov = ["--cov=src"]
    testmon = ["--testmon"]
    LOADS.clear()
    load_before = sample_load()
    scenarios: list[Scenario] = []
    try:
        for path in copies.values():
            generate(path, size, seed, big_conftest, real_shaped)
        files = sum(1 for p in copies["pytest"].rglob("*") if p.is_file() and ".git" not in p.parts)
        print(f"\n== {size} features: {files} files per copy, in {workdir}", flush=True)

        def step(name: str) -> Scenario:
            print(f"  {name} ...", flush=True)
            scenario = Scenario(name)
            scenarios.append(scenario)
            return scenario

        # cold
        s = step("cold")
        s.cells["lockgate"] = run_lockgate(lockgate, copies["lockgate"], "cold", misses_zero=None)
        s.cells["pytest"] = run_pytest(pytest, copies["pytest"], cov, "pytest --cov (cold)")
        s.cells["testmon"] = run_pytest(pytest, copies["testmon"], testmon, "testmon first run")
        s.note = "empty store / the floor / first run"

        # no change, each tool --repeat times (median)
        s = step("no change")
        runs: dict[str, list[Cell]] = {tool: [] for tool in TOOLS}
        for i in range(max(1, repeat)):
            runs["lockgate"].append(
                run_lockgate(lockgate, copies["lockgate"], f"no change #{i + 1}", misses_zero=True)
            )
            runs["pytest"].append(
                run_pytest(pytest, copies["pytest"], cov, f"pytest --cov (no change #{i + 1})")
            )
            runs["testmon"].append(
                run_pytest(
                    pytest,
                    copies["testmon"],
                    testmon,
                    f"testmon (no change #{i + 1})",
                    ok=(0, NO_TESTS),
                )
            )
        s.cells = {tool: median_cell(cells) for tool, cells in runs.items()}

        # the body of an executed helper function rewritten (same results)
        s = step("one helper body edited")
        edited = {edit_helper_body(path) for path in copies.values()}
        s.note = ", ".join(sorted(edited))
        s.cells["lockgate"] = run_lockgate(
            lockgate, copies["lockgate"], "helper body edited", misses_zero=False
        )
        s.cells["pytest"] = run_pytest(pytest, copies["pytest"], cov, "pytest --cov (body)")
        s.cells["testmon"] = run_pytest(pytest, copies["testmon"], testmon, "testmon (body)")

        # one shared helper edited
        s = step("one shared helper edited")
        edited = {edit_helper(path) for path in copies.values()}
        s.note = ", ".join(sorted(edited))
        s.cells["lockgate"] = run_lockgate(
            lockgate, copies["lockgate"], "shared helper edited", misses_zero=False
        )
        s.cells["pytest"] = run_pytest(pytest, copies["pytest"], cov, "pytest --cov (helper)")
        s.cells["testmon"] = run_pytest(pytest, copies["testmon"], testmon, "testmon (helper)")

        # two feature files edited
        s = step("two feature files edited")
        edited = {edit_features(path) for path in copies.values()}
        if len(edited) != 1:
            warn(f"the copies got different edits: {sorted(edited)}")
        s.note = ", ".join(sorted(edited))
        s.cells["lockgate"] = run_lockgate(
            lockgate, copies["lockgate"], "two features edited", misses_zero=False
        )
        affected = affected_tests(copies["lockgate"], LAST_JSON)
        s.cells["pytest"] = run_pytest(pytest, copies["pytest"], cov, "pytest --cov (two files)")
        s.cells["testmon"] = run_pytest(pytest, copies["testmon"], testmon, "testmon (two files)")
        if affected:
            s.affected = run_pytest(
                pytest, copies["pytest"], [*cov, *affected], "pytest --cov (affected tests only)"
            )
            s.affected.note = f"{len(affected)} test files: {s.affected.note}"
        else:
            warn("two features edited: lockgate re-ran no tested layer, no affected tests to time")
    finally:
        if keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    load_after = sample_load()
    result = SizeResult(size, files, scenarios, load_before, load_after, max(LOADS), [])
    result.targets = targets(result)
    return result


def targets(result: SizeResult) -> list[tuple[str, str, bool]]:
    by = {s.name: s for s in result.scenarios}
    out: list[tuple[str, str, bool]] = []
    cold = by["cold"].cells
    ratio = cold["lockgate"].seconds / cold["pytest"].seconds
    out.append(
        (
            "cold ≤ 1.3x one plain `pytest --cov` run",
            f"{cold['lockgate'].seconds:.2f} s / {cold['pytest'].seconds:.2f} s = {ratio:.2f}x",
            ratio <= 1.3,
        )
    )
    same = by["no change"].cells
    where = "" if result.size == 1000 else f" (the issue states it at 1,000; here {result.size})"
    out.append(
        (
            f"no change ≤ 0.5 s{where}",
            f"{same['lockgate'].seconds:.3f} s",
            same["lockgate"].seconds <= 0.5,
        )
    )
    out.append(
        (
            "no change faster than testmon's no-change re-run",
            f"{same['lockgate'].seconds:.3f} s vs {same['testmon'].seconds:.3f} s",
            same["lockgate"].seconds < same["testmon"].seconds,
        )
    )
    two = by["two feature files edited"]
    if two.affected is not None:
        ratio = two.cells["lockgate"].seconds / two.affected.seconds
        out.append(
            (
                "two-file edit ≤ 1.5x running only the affected features' tests",
                f"{two.cells['lockgate'].seconds:.2f} s / {two.affected.seconds:.2f} s "
                f"= {ratio:.2f}x",
                ratio <= 1.5,
            )
        )
    return out


# ---------------------------------------------------------------------------------------- output


def _ratio(a: Cell | None, b: Cell | None) -> str:
    if a is None or b is None or not b.seconds:
        return ""
    return f"{a.seconds / b.seconds:.2f}x"


def table(result: SizeResult) -> str:
    headers = [
        "scenario",
        "lockgate s",
        "pytest --cov s",
        "testmon s",
        "lockgate ÷ pytest --cov",
        "lockgate ÷ testmon",
        "exit codes (lg/pt/tm)",
    ]
    lines = ["| " + " | ".join(headers) + " |", "|---" + "|---:" * 5 + "|---|"]
    for s in result.scenarios:
        lg, pt, tm = (s.cells.get(tool) for tool in TOOLS)
        codes = "/".join("" if c is None else str(c.code) for c in (lg, pt, tm))
        cells = [
            s.name,
            "" if lg is None else f"{lg.seconds:.3f}",
            "" if pt is None else f"{pt.seconds:.2f}",
            "" if tm is None else f"{tm.seconds:.2f}",
            _ratio(lg, pt),
            _ratio(lg, tm),
            codes,
        ]
        lines.append("| " + " | ".join(cells) + " |")
        if s.affected is not None and lg is not None:
            lines.append(
                "| ↳ vs `pytest --cov` of only the affected features' tests | "
                f"{lg.seconds:.3f} | {s.affected.seconds:.2f} | | "
                f"{_ratio(lg, s.affected)} | | {lg.code}/{s.affected.code}/ (lg/affected) |"
            )
    return "\n".join(lines) + "\n"


def notes(result: SizeResult) -> str:
    lines = []
    for s in result.scenarios:
        lines.append(f"- {s.name}" + (f": {s.note}" if s.note else ""))
        for tool in TOOLS:
            cell = s.cells.get(tool)
            if cell is not None and cell.note:
                lines.append(f"  - {tool}: {cell.note}")
        if s.affected is not None:
            lines.append(f"  - affected tests only: {s.affected.note}")
    return "\n".join(lines) + "\n"


def target_lines(result: SizeResult) -> str:
    return "\n".join(
        f"- {'met   ' if met else 'MISSED'} {name}: {measured}"
        for name, measured, met in result.targets
    )


def versions(python: str) -> str:
    code = (
        "import importlib.metadata as m, platform\n"
        "out = ['Python ' + platform.python_version()]\n"
        "for name in ('lockgate', 'pytest', 'coverage', 'pytest-cov', 'pytest-testmon'):\n"
        "    try:\n"
        "        out.append(f'{name} {m.version(name)}')\n"
        "    except m.PackageNotFoundError:\n"
        "        out.append(f'{name} (not installed)')\n"
        "print(', '.join(out))\n"
    )
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    return proc.stdout.strip() or f"versions unknown: {proc.stderr.strip()[-200:]}"


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or platform.machine()
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match[1].strip() if match else platform.machine()


def snapshot_head(dest: Path) -> Path:
    """``src/lockgate`` as committed at HEAD, extracted under ``dest``; the folder to import it
    from."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD", "src/lockgate"],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest / "src"


def head() -> str:
    proc = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() or "?"


def machine(python: str) -> str:
    where = (
        f"lockgate as committed at {head()} (`src/lockgate` of HEAD, extracted and put first "
        "on `PYTHONPATH`, so that edits to src/ during the run cannot change it)"
        if SNAPSHOT is not None
        else f"{source_state()}, run from the work tree as it was at each moment"
    )
    return (
        f"{os.cpu_count()} cores, {cpu_model()}, {platform.platform()}; {versions(python)}; {where}"
    )


def report(args: argparse.Namespace, python: str) -> list[str]:
    """Measure every size; the Markdown report (also written to ``args.out`` as it grows)."""
    header = [
        "# lockgate vs plain pytest --cov vs pytest-testmon",
        "",
        f"- Machine: {machine(python)}.",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        f"- Command: `python benchmarks/compare.py --sizes {args.sizes} --repeat {args.repeat}"
        + (" --big-conftest" if args.big_conftest else "")
        + (" --real-shaped" if args.real_shaped else "")
        + "`.",
        "- `PYTHONDONTWRITEBYTECODE` unset for every tool (each may cache bytecode as usual); "
        "lockgate runs with its default `--jobs` (the number of cores); pytest and testmon run "
        "in one process (no xdist). testmon runs without `-p no:cacheprovider`: it stops with "
        "`INTERNALERROR KeyError: 'lf'` when that plugin is off (it reads the `--lf` option).",
        "- Wall seconds of one subprocess each; the no-change row is the median of "
        f"{args.repeat} runs per tool. Ratios are lockgate's time divided by the other's "
        "(below 1 = lockgate faster).",
        "",
    ]
    sections: list[str] = []
    print("\n".join(header), flush=True)
    for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
        run.SIZE = size
        STAMP.clear()  # each size starts with an empty store
        result = run_size(
            size,
            args.lockgate,
            python,
            args.repeat,
            args.keep,
            args.seed,
            args.big_conftest,
            args.real_shaped,
        )
        load = (
            f"Load average (1 min): before {result.load_before:.2f}, after "
            f"{result.load_after:.2f}, highest sampled during the run {result.load_max:.2f}."
        )
        section = (
            f"## {size} features ({result.files} files per copy)\n\n{load}\n\n{table(result)}\n"
            f"Targets ({TARGETS_NOTE}):\n\n{target_lines(result)}\n\n"
            f"Notes:\n\n{notes(result)}"
        )
        print("\n" + section, flush=True)
        sections.append(section)
        args.out.write_text("\n".join([*header, *sections]), encoding="utf-8")
    return [*header, *sections]


def main(argv: list[str] | None = None) -> int:
    global PYTHON, SNAPSHOT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000", help="comma-separated feature counts")
    parser.add_argument("--repeat", type=int, default=3, help="no-change runs per tool (median)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects")
    parser.add_argument("--lockgate", default=LOCKGATE, help=f"lockgate script ({LOCKGATE})")
    parser.add_argument("--out", type=Path, default=OUT, help=f"Markdown report ({OUT})")
    parser.add_argument(
        "--big-conftest",
        action="store_true",
        help="generate a conftest that imports a base class with a big closure (issue 11)",
    )
    parser.add_argument(
        "--real-shaped",
        action="store_true",
        help="the big conftest, a slow test past its lockgate timeout, and a test that writes "
        "into the work tree (issue 11)",
    )
    parser.add_argument(
        "--no-snapshot",
        dest="snapshot",
        action="store_false",
        help="run lockgate from the work tree as it is at each moment, not from HEAD's src/",
    )
    args = parser.parse_args(argv)
    # Every tool may write bytecode as it normally would: the same (unset) for all of them.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    PYTHON = interpreter(args.lockgate)
    run.JSON_DIR = args.out.parent / "json" / "compare"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lockgate-compare-src-") as snapdir:
        if args.snapshot:
            # Others may edit src/ while this runs: measure one fixed, committed lockgate.
            SNAPSHOT = snapshot_head(Path(snapdir))
        doc = report(args, PYTHON)
    if WARNINGS:
        doc.append("## Warnings\n\n" + "\n".join(f"- {w}" for w in WARNINGS) + "\n")
        print(f"\n{len(WARNINGS)} warning(s), see above", file=sys.stderr)
    else:
        doc.append("No warnings: every exit code and every lockgate verdict was as expected.\n")
    args.out.write_text("\n".join(doc), encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    started_at = time.perf_counter()
    code = main()
    print(f"total {time.perf_counter() - started_at:.0f} s", file=sys.stderr)
    raise SystemExit(code)
