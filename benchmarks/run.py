"""Time lockgate on generated projects: cold, no change, and three kinds of small edits.

    python benchmarks/run.py [--sizes 100,1000] [--jobs N] [--repeat 3] [--keep]

For every size, a fresh project is generated in a temporary folder and these scenarios run one
after another against the same store, each timed as one `lockgate align PATH --json --quiet`
subprocess (wall clock):

    cold                  the store is empty
    no change             nothing changed since the previous run
    shared helper edited  a small function appended to src/gen/common/helpers_0.py
    test file edited      a test added to one feature's test file
    two features edited   a constant changed in two agent modules

then, if `lockgate deploy` exists, the no-change deploy rows (the edits are committed first, since
a deploy refuses a dirty work tree). Times are reported, never asserted; sanity checks on the
JSON (a no-change run has no misses, an edit causes some) print a warning when violated.
Tables go to the terminal and, as Markdown, to benchmarks/out/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from generate import generate

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "results.md"
GIT_ID = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]


@dataclass
class Row:
    """One measured scenario."""

    scenario: str
    seconds: float
    cold: float | None = None  # wall seconds of the cold run, for the ratio
    hits: int | None = None
    misses: int | None = None
    inner: float | None = None  # summary.seconds as lockgate reports it
    code: int | None = None
    note: str = ""

    def cells(self, short: bool = False) -> list[str]:
        if short:
            return [self.scenario, f"{self.seconds:.3f}", self.note]
        ratio = f"{self.cold / self.seconds:.1f}x" if self.cold and self.seconds else ""
        return [
            self.scenario,
            f"{self.seconds:.3f}",
            ratio,
            "" if self.hits is None else str(self.hits),
            "" if self.misses is None else str(self.misses),
            "" if self.inner is None else f"{self.inner:.3f}",
            "" if self.code is None else str(self.code),
            self.note,
        ]


JSON_DIR: Path | None = None  # where every command's JSON output is kept
SIZE = 0  # the size being measured, for file names
HEADERS = ["scenario", "wall s", "cold / t", "hits", "misses", "lockgate s", "exit", "note"]
SHORT = ["what", "wall s", "note"]
WARNINGS: list[str] = []


def warn(message: str) -> None:
    WARNINGS.append(message)
    print(f"WARNING: {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------ processes


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("LOCKGATE_DIR", None)  # the store must live in the generated project
    return env


def timed(
    cmd: list[str], cwd: Path | None = None
) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, check=False)
    return time.perf_counter() - start, proc


def median_of(cmd: list[str], times: int, cwd: Path | None = None) -> float:
    return statistics.median(timed(cmd, cwd)[0] for _ in range(times))


def lockgate_json(
    lockgate: str, args: list[str], scenario: str, cold: float | None = None
) -> tuple[Row, dict[str, Any]]:
    """Run one lockgate command with ``--json --quiet`` and turn it into a row.

    The JSON is kept in ``JSON_DIR`` (``<size>-<scenario>.json``) for inspection.
    """
    seconds, proc = timed([lockgate, *args, "--json", "--quiet"])
    row = Row(scenario, seconds, cold=cold, code=proc.returncode)
    if JSON_DIR is not None:
        slug = re.sub(r"[^a-z0-9]+", "-", f"{SIZE}-{scenario}".lower()).strip("-")
        JSON_DIR.mkdir(parents=True, exist_ok=True)
        (JSON_DIR / f"{slug}.json").write_text(proc.stdout, encoding="utf-8")
    try:
        data: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError:
        first = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        warn(f"{scenario}: exit {proc.returncode}, no JSON on stdout: {first}")
        row.note = "no JSON"
        return row, {}
    summary = data.get("summary", {})
    cache = summary.get("cache", {})
    row.hits, row.misses, row.inner = cache.get("hits"), cache.get("misses"), summary.get("seconds")
    if proc.returncode not in (0, 1):
        warn(f"{scenario}: exit {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return row, data


# ---------------------------------------------------------------------------------------- edits


def edit_helper(project: Path) -> str:
    path = project / "src/gen/common/helpers_0.py"
    with path.open("a", encoding="utf-8") as fh:
        fh.write('\n\ndef bench_offset(value: int) -> int:\n    """Added by the benchmark."""\n')
        fh.write("    return value + 1\n")
    return "src/gen/common/helpers_0.py"


_CLAMP = ("    return max(low, min(high, value))\n", "    return min(high, max(low, value))\n")


def edit_helper_body(project: Path, back: bool = False) -> str:
    """Rewrite the body of an executed helper function, same result: only the tests that ran
    it depend on the edit (block keys, issue 11); ``back`` puts it back as it was."""
    path = project / "src/gen/common/helpers_0.py"
    text = path.read_text(encoding="utf-8")
    old, new = (_CLAMP[1], _CLAMP[0]) if back else _CLAMP
    assert old in text, path
    path.write_text(text.replace(old, new), encoding="utf-8")
    return "src/gen/common/helpers_0.py (clamp body)"


def revert_helper_body(project: Path) -> str:
    """The body edit undone: every result of the tree before it was stored (issue 18)."""
    return edit_helper_body(project, back=True) + " put back"


def edit_test(project: Path) -> str:
    tests = sorted(p for p in (project / "tests").glob("test_*.py") if p.name != "test_common.py")
    path = tests[0]
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\n\ndef test_bench_module_name() -> None:\n    assert mod.__name__\n")
    return str(path.relative_to(project))


_CONSTANT = re.compile(r"^([A-Z_]+) = (\d+)$", re.MULTILINE)


def edit_features(project: Path) -> str:
    agents = sorted((project / "src/gen/agents").glob("[!_]*.py"))
    picked = [agents[len(agents) // 3], agents[2 * len(agents) // 3]]
    for path in picked:
        text = path.read_text(encoding="utf-8")
        text = _CONSTANT.sub(lambda m: f"{m[1]} = {int(m[2]) + 1}", text, count=1)
        path.write_text(text, encoding="utf-8")
    return ", ".join(p.name for p in picked)


def commit(project: Path, message: str) -> None:
    subprocess.run(
        ["git", *GIT_ID, "commit", "--quiet", "--no-gpg-sign", "-am", message],
        cwd=project,
        check=True,
        capture_output=True,
    )


# ------------------------------------------------------------------------------------- checking


def expect(row: Row, data: dict[str, Any], *, misses_zero: bool) -> None:
    if row.misses is None:
        return
    if misses_zero and row.misses != 0:
        items = [
            f"{feature.get('id')}:{name}"
            for feature in data.get("features", [])
            for name, layer in feature.get("layers", {}).items()
            if not layer.get("cached", False)
        ]
        which = f" ({', '.join(items[:5])}{', ...' if len(items) > 5 else ''})" if items else ""
        warn(f"{row.scenario}: expected no misses after no change, got {row.misses}{which}")
    if not misses_zero and row.misses == 0:
        warn(f"{row.scenario}: an edit should re-run something, but misses == 0")


def check_verdicts(scenario: str, data: dict[str, Any]) -> None:
    """The generated code always imports and instantiates, and its tests pass: warn otherwise.

    The only tested failures the generator plants are coverage shortfalls ("... cover N% ...").
    """
    odd: dict[str, list[str]] = {}
    for feature in data.get("features", []):
        for name in ("imported", "instantiated", "tested"):
            layer = feature.get("layers", {}).get(name, {})
            detail = str(layer.get("detail", ""))
            if layer and not layer.get("passed", True) and " cover " not in detail:
                odd.setdefault(name, []).append(f"{feature.get('id')}: {detail}")
    for name, problems in odd.items():
        warn(
            f"{scenario}: {len(problems)} features fail {name} for a reason the generator "
            f"did not plant, e.g. {problems[0][:200]}"
        )


def uncached(data: dict[str, Any]) -> str:
    """Which layers re-ran, as ``layer:count`` pairs (the note column)."""
    counts: dict[str, int] = {}
    for feature in data.get("features", []):
        for name, layer in feature.get("layers", {}).items():
            if not layer.get("cached", False):
                counts[name] = counts.get(name, 0) + 1
    return " ".join(f"{k}:{v}" for k, v in counts.items())


# ------------------------------------------------------------------------------------ scenarios


def run_size(
    size: int, lockgate: str, jobs: list[str], repeat: int, keep: bool, seed: int
) -> dict[str, list[Row]]:
    workdir = Path(tempfile.mkdtemp(prefix=f"lockgate-bench-{size}-"))
    project = workdir / "project"
    tables: dict[str, list[Row]] = {}
    try:
        start = time.perf_counter()
        generate(project, size, seed)
        files = sum(1 for p in project.rglob("*") if p.is_file() and ".git" not in p.parts)
        print(
            f"\n== {size} features: {files} files, generated in "
            f"{time.perf_counter() - start:.2f}s at {project}",
            flush=True,
        )
        align = ["align", str(project), *jobs]

        rows: list[Row] = []
        cold, data = lockgate_json(lockgate, align, "cold (empty store)")
        cold.note = f"{len(data.get('features', []))} features"
        check_verdicts(cold.scenario, data)
        if cold.hits:
            warn(f"cold: expected no hits on an empty store, got {cold.hits}")
        rows.append(cold)
        ref = cold.seconds

        runs = [
            lockgate_json(lockgate, align, f"no change #{i}", ref)
            for i in range(1, max(1, repeat) + 1)
        ]
        for row, data in runs:
            expect(row, data, misses_zero=True)
        first = runs[0][0]
        same = Row(
            "no change", first.seconds, ref, first.hits, first.misses, first.inner, first.code
        )
        if len(runs) > 1:
            same.seconds = statistics.median(r.seconds for r, _ in runs)
            same.inner = statistics.median(r.inner or 0.0 for r, _ in runs)
            same.note = (
                f"median of {len(runs)}, min {min(r.seconds for r, _ in runs):.3f}; "
                f"hits/misses of run 1, misses of the rest: "
                f"{[r.misses for r, _ in runs[1:]]}"
            )
        rows.append(same)

        for label, edit, same_as_before in (
            ("shared helper edited", edit_helper, False),
            ("test file edited", edit_test, False),
            ("two features edited", edit_features, False),
            ("helper body edited", edit_helper_body, False),
            ("the body edit reverted", revert_helper_body, True),
        ):
            what = edit(project)
            row, data = lockgate_json(lockgate, align, label, ref)
            expect(row, data, misses_zero=same_as_before)
            check_verdicts(label, data)
            row.note = f"{what}; re-ran {uncached(data)}"
            rows.append(row)
        # Files edited seconds ago are "racy" (mtime too close to when they were recorded), so
        # this no-change run cannot trust the stat cache for them: what a user sees right
        # after an edit and a run.
        row, data = lockgate_json(lockgate, align, "no change, right after the edits", ref)
        expect(row, data, misses_zero=True)
        rows.append(row)
        tables["align"] = rows
        tables["context"] = context_rows(project, lockgate)
        tables["deploy"] = deploy_rows(project, lockgate, jobs, ref)
    finally:
        if keep:
            print(f"kept {project}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return tables


def context_rows(project: Path, lockgate: str) -> list[Row]:
    python = interpreter(lockgate)
    walk = (
        "import os,sys\n"
        "for d, ds, fs in os.walk(sys.argv[1]):\n"
        "    ds[:] = [x for x in ds if x not in ('.git', '.lockgate')]\n"
        "    [os.stat(os.path.join(d, f)) for f in fs]"
    )
    return [
        Row("python -c pass", median_of([python, "-c", "pass"], 5), note="median of 5"),
        Row(
            "python -c 'import lockgate.cli'",
            median_of([python, "-c", "import lockgate.cli"], 5),
            note="median of 5",
        ),
        Row("lockgate --version", median_of([lockgate, "--version"], 5), note="median of 5"),
        Row(
            "python: stat every project file",
            median_of([python, "-c", walk, str(project)], 5),
            note="median of 5; the floor for a no-change run",
        ),
    ]


def deploy_rows(project: Path, lockgate: str, jobs: list[str], ref: float) -> list[Row]:
    _, probe = timed([lockgate, "deploy", "--help"])
    if probe.returncode != 0:
        print("deploy: not available", flush=True)
        return []
    commit(project, "benchmark edits")
    rows: list[Row] = []
    deploy = ["deploy", str(project), *jobs]
    for label, args, zero in (
        ("align after commit", ["align", str(project), *jobs], True),
        ("deploy --dry-run (first deploy of this tree)", [*deploy, "--dry-run"], False),
        ("deploy --dry-run, no change", [*deploy, "--dry-run"], True),
        ("deploy, no change (first package)", deploy, True),
        ("deploy, no change (second package)", deploy, True),
    ):
        row, data = lockgate_json(lockgate, args, label, ref)
        if zero:
            expect(row, data, misses_zero=True)
        if "deploy" in args:
            package = data.get("package") or {}
            blocked = [g["name"] for g in data.get("gates", []) if not g.get("passed")]
            row.note = f"deployed={data.get('deployed')} files={package.get('files')}"
            if blocked:
                row.note += f" failed gates: {', '.join(blocked)}"
        rows.append(row)
    return rows


def package_rows(files: int, lockgate: str, jobs: list[str], seed: int) -> list[Row]:
    """Deploy a small project padded with ``files`` committed data files: packaging cost."""
    workdir = Path(tempfile.mkdtemp(prefix=f"lockgate-bench-package-{files}-"))
    project = workdir / "project"
    try:
        generate(project, 20, seed)
        assets = project / "assets"
        for i in range(files):
            folder = assets / f"group{i % 50:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"item{i:05d}.txt").write_text(f"asset {i}\n" * 8)
        subprocess.run(["git", "add", "-A"], cwd=project, check=True)
        commit(project, f"{files} data files")
        shipped = sum(1 for p in project.rglob("*") if p.is_file() and ".git" not in p.parts)
        print(f"\n== packaging: {shipped} files at {project}", flush=True)
        align_row, _ = lockgate_json(lockgate, ["align", str(project), *jobs], "align (cold)")
        ref = align_row.seconds
        rows = [align_row]
        deploy = ["deploy", str(project), *jobs]
        for label, args in (
            ("deploy --dry-run (first: every file scanned)", [*deploy, "--dry-run"]),
            ("deploy --dry-run, no change", [*deploy, "--dry-run"]),
            ("deploy (first package)", deploy),
            ("deploy, no change (second package)", deploy),
        ):
            row, data = lockgate_json(lockgate, args, label, ref)
            package = data.get("package") or {}
            row.note = f"deployed={data.get('deployed')} files={package.get('files')}"
            rows.append(row)
        return rows
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def interpreter(lockgate: str) -> str:
    """The Python that the lockgate script runs under (its shebang), else this one."""
    try:
        first = Path(lockgate).read_text(encoding="utf-8", errors="replace").splitlines()[0]
    except (OSError, IndexError):
        return sys.executable
    return first[2:].strip() if first.startswith("#!") and "python" in first else sys.executable


# -------------------------------------------------------------------------------------- output


def markdown(title: str, rows: list[Row], short: bool = False) -> str:
    headers = SHORT if short else HEADERS
    lines = [f"### {title}", "", "| " + " | ".join(headers) + " |", "|---" * len(headers) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r.cells(short)) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def show(title: str, rows: list[Row], short: bool = False) -> None:
    headers = SHORT if short else HEADERS
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [
            max(len(h), *(len(r.cells(short)[i]) for r in rows)) for i, h in enumerate(headers)
        ]
        print(f"\n{title}")
        for cells in [headers, *(r.cells(short) for r in rows)]:
            print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        return
    table = Table(title=title, title_justify="left")
    for i, header in enumerate(headers):
        table.add_column(header, justify="right" if 0 < i < len(headers) - 1 else "left")
    for row in rows:
        table.add_row(*row.cells(short))
    Console(width=160).print(table)


def source_state() -> str:
    """The lockgate commit measured, and whether its work tree had changes."""

    def git(*args: str) -> str:
        proc = subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False
        )
        return proc.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "?"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src")
    return f"lockgate commit {head}" + (" + uncommitted changes in src/" if dirty else "")


def load_average() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def machine(lockgate: str) -> str:
    version = subprocess.run(
        [lockgate, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    cpu = platform.processor() or platform.machine()
    return (
        f"{platform.platform()}, {os.cpu_count()} CPUs, {cpu}"
        f", Python {platform.python_version()}, {version or 'lockgate ?'}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {source_state()}, "
        f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '(unset)')}"
    )


def _default_lockgate() -> str:
    venv = ROOT / ".venv" / "bin" / "lockgate"
    return str(venv) if venv.exists() else (shutil.which("lockgate") or "lockgate")


LOCKGATE = _default_lockgate()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000", help="comma-separated feature counts")
    parser.add_argument("--jobs", type=int, help="passed to lockgate as --jobs N")
    parser.add_argument("--repeat", type=int, default=1, help="no-change runs (median reported)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects")
    parser.add_argument("--lockgate", default=LOCKGATE, help=f"lockgate script ({LOCKGATE})")
    parser.add_argument("--out", type=Path, default=OUT, help=f"Markdown file ({OUT})")
    parser.add_argument(
        "--package-files",
        type=int,
        default=5000,
        help="data files in the packaging benchmark (0 skips it)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    doc = [
        "# lockgate benchmark results",
        "",
        f"Machine: {machine(args.lockgate)}.",
        f"Command: `python benchmarks/run.py --sizes {args.sizes}"
        + (f" --jobs {args.jobs}" if args.jobs else "")
        + (f" --repeat {args.repeat}" if args.repeat > 1 else "")
        + "`. `cold / t` is the cold wall time divided by the row's; `lockgate s` is "
        "`summary.seconds` from the JSON.",
        "",
    ]
    global JSON_DIR, SIZE
    JSON_DIR = args.out.parent / "json"
    for size in sizes:
        SIZE = size
        before = load_average()
        tables = run_size(size, args.lockgate, jobs, args.repeat, args.keep, args.seed)
        load = f"load average (1 min) before {before}, after {load_average()}"
        print(load)
        titles = {
            "align": f"{size} features: lockgate align",
            "context": f"{size} features: start-up floors",
            "deploy": f"{size} features: lockgate deploy",
        }
        doc.append(f"## {size} features\n\n{load}.\n")
        for key, title in titles.items():
            if key == "deploy" and not tables.get(key):
                doc.append(f"### {title}\n\ndeploy: not available\n")
                continue
            show(title, tables[key], short=key == "context")
            doc.append(markdown(title, tables[key], short=key == "context"))
        args.out.write_text("\n".join(doc), encoding="utf-8")
    if args.package_files:
        title = f"packaging a repository of {args.package_files} data files and 20 features"
        rows = package_rows(args.package_files, args.lockgate, jobs, args.seed)
        show(title, rows)
        doc.append(f"## Packaging\n\n{markdown(title, rows)}")
    if WARNINGS:
        doc.append("## Warnings\n\n" + "\n".join(f"- {w}" for w in WARNINGS) + "\n")
        print(f"\n{len(WARNINGS)} warning(s), see above", file=sys.stderr)
    args.out.write_text("\n".join(doc), encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
