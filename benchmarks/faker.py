"""A real codebase: Faker (716 provider classes, its own 2,400 tests), lockgate beside
`pytest --cov` and `pytest --testmon`, run back to back on identical copies.

    python benchmarks/faker.py [--source PATH | --version X.Y.Z] [--keep] [--out PATH]

Faker comes from the package index as an sdist (its tests are in it), or from ``--source`` (a
Faker checkout). It is copied three times into a temporary folder, one git repository per tool,
so no tool sees another's caches. A virtual environment beside them holds Faker's test
dependencies, pytest-cov, pytest-testmon, Faker itself without dependencies (for the metadata
and the pytest plugin entry point; every tool imports the copy it runs in, first on
``sys.path``) and lockgate from this checkout. lockgate is configured with one feature kind,
``Provider`` classes under ``faker/providers``.

Scenarios, each timed for the three tools one after the other (wall clock):

    cold              nothing cached
    no change 1..3    nothing changed
    provider edit     a word list of one locale's address provider gains a word
    shared edit       a function appended to faker/providers/__init__.py (every provider's base)

After each edit, lockgate runs again with ``--no-cache`` on the same tree
and every verdict and detail is compared with the incremental run: the count of differences is
printed (goal: 0). Then a no-change run must reuse everything. Times never fail the script.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "faker.md"
TOOLS = ("lockgate", "pytest --cov", "testmon")
TEST_DEPENDENCIES = [
    "freezegun",
    "validators",
    "ukpostcodeparser",
    "xmltodict",
    "Pillow",
    "python-stdnum",
    "pytest>=8",
    "pytest-cov>=5",
    "pytest-testmon>=2",
]
CONFIG = """\
src = ["."]
tests = ["tests"]
timeout = 120

[[features]]
kind = "provider"
paths = ["faker/providers"]
classes = ["Provider"]
"""
PROVIDER = "faker/providers/address/en_US/__init__.py"
SHARED = "faker/providers/__init__.py"


@dataclass
class Cell:
    seconds: float
    code: int
    note: str = ""


def run(
    cmd: list[str], cwd: Path, env: dict[str, str]
) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, proc


def say(text: str) -> None:
    print(text, flush=True)


def fetch(work: Path, version: str | None, source: Path | None, python: str) -> Path:
    """Faker's source tree with its tests."""
    if source is not None:
        return source.resolve()
    spec = f"faker=={version}" if version else "faker"
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--no-binary",
            ":all:",
            "-d",
            str(work / "sdist"),
            spec,
        ],
        check=True,
    )
    (archive,) = (work / "sdist").glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(work / "sdist", filter="data")
    (tree,) = [p for p in (work / "sdist").iterdir() if p.is_dir()]
    if not (tree / "tests").is_dir():
        raise SystemExit(f"{archive.name} has no tests/ folder: use --source with a checkout")
    return tree


def copy(tree: Path, dest: Path) -> Path:
    """One tool's copy: Faker's files and lockgate's configuration, committed."""
    shutil.copytree(
        tree,
        dest,
        ignore=shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", ".tox", "build"),
    )
    (dest / "lockgate.toml").write_text(CONFIG, encoding="utf-8")
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "faker")
    return dest


def git(root: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.invalid",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    }
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def environment(work: Path, tree: Path) -> Path:
    """A virtual environment with Faker's test dependencies, the two other tools and lockgate."""
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    requirements = tree / "dev-requirements.txt"  # Faker's own list, where the tree has it
    extra = ["-r", str(requirements)] if requirements.is_file() else []
    subprocess.run([*pip, *TEST_DEPENDENCIES, *extra], check=True)
    subprocess.run([*pip, "--no-deps", str(tree)], check=True)
    # a copy of this checkout as it is now, not an editable link: what is measured stays put
    subprocess.run([*pip, str(ROOT)], check=True)
    return venv / "bin" / "python"


def verdicts(data: dict[str, Any]) -> dict[tuple[str, str], tuple[bool, str]]:
    out = {
        (f["id"], layer): (v["passed"], v["detail"])
        for f in data.get("features", [])
        for layer, v in f["layers"].items()
    }
    out.update(((s["file"], "suite"), (s["passed"], s["detail"])) for s in data.get("suite", []))
    return out


class Bench:
    """The three copies and how each tool runs in its own."""

    def __init__(self, python: Path, copies: dict[str, Path]) -> None:
        self.python = str(python)
        self.copies = copies
        self.rows: list[tuple[str, dict[str, Cell], str]] = []
        self.differences: dict[str, int] = {}

    def env(self, tool: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPATH"] = str(self.copies[tool])  # the copy, before the installed Faker
        return env

    def lockgate(self, *flags: str) -> tuple[Cell, dict[str, Any]]:
        root = self.copies["lockgate"]
        cmd = [self.python, "-m", "lockgate", "align", str(root), "--json", "--quiet", *flags]
        seconds, proc = run(cmd, root, self.env("lockgate"))
        try:
            data = json.loads(proc.stdout)
        except json.JSONDecodeError:
            say(f"  lockgate printed no JSON (exit {proc.returncode}): {proc.stderr[-400:]}")
            return Cell(seconds, proc.returncode, "no JSON"), {}
        cache = data["summary"]["cache"]
        return Cell(seconds, proc.returncode, f"{cache['misses']} run"), data

    def pytest(self, tool: str) -> Cell:
        flags = (
            ["--cov=faker", "-p", "no:cacheprovider"] if tool == "pytest --cov" else ["--testmon"]
        )
        cmd = [self.python, "-m", "pytest", "-q", "--no-header", *flags, "tests"]
        seconds, proc = run(cmd, self.copies[tool], self.env(tool))
        last = (proc.stdout.strip().splitlines() or [""])[-1].strip("= ")
        if "error" in last or proc.returncode not in (0, 1, 5):
            say(f"  warning: {tool} did not run the suite cleanly (exit {proc.returncode}): {last}")
        return Cell(seconds, proc.returncode, last[-60:])

    def scenario(self, name: str, compare: bool) -> dict[str, Any]:
        say(f"{name} …")
        cells: dict[str, Cell] = {}
        cells["lockgate"], data = self.lockgate()
        for tool in TOOLS[1:]:
            cells[tool] = self.pytest(tool)
        note = ""
        if compare and data:
            _, fresh = self.lockgate("--no-cache")
            old, new = verdicts(data), verdicts(fresh)
            diff = sum(1 for k in old.keys() | new.keys() if old.get(k) != new.get(k))
            self.differences[name] = diff
            note = f"{diff} differences from --no-cache"
            if diff:
                shown = [k for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k)]
                for k in shown[:5]:
                    say(f"  differs: {k}: {old.get(k)} vs --no-cache {new.get(k)}")
        if data:
            scores = [f["score"] for f in data["features"]]
            note = f"{len(scores)} features, mean score {sum(scores) / len(scores):.1f}; " + note
        self.rows.append((name, cells, note))
        say("  " + ", ".join(f"{t} {c.seconds:.2f}s ({c.note})" for t, c in cells.items()))
        return data

    def edit(self, rel: str, old: str, new: str, message: str) -> None:
        for root in self.copies.values():
            path = root / rel
            text = path.read_text(encoding="utf-8")
            if old not in text:
                raise SystemExit(f"{rel}: {old!r} not found: the edit needs updating")
            path.write_text(text.replace(old, new, 1), encoding="utf-8")
            git(root, "commit", "-q", "-am", message)

    def append(self, rel: str, text: str, message: str) -> None:
        for root in self.copies.values():
            path = root / rel
            path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
            git(root, "commit", "-q", "-am", message)


def table(bench: Bench, load: str, started: float) -> str:
    lines = [
        "# Faker: lockgate beside pytest --cov and pytest --testmon",
        "",
        f"load average before / after: {load} / {os.getloadavg()[0]:.2f} · "
        f"{os.cpu_count()} cores · {time.time() - started:.0f} s in all",
        "",
        "| scenario | lockgate | pytest --cov | testmon | lockgate / --cov | lockgate / testmon "
        "| notes |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, cells, note in bench.rows:
        lg, cov, tm = (cells[t] for t in TOOLS)
        lines.append(
            f"| {name} | {lg.seconds:.2f} s ({lg.note}) | {cov.seconds:.2f} s | {tm.seconds:.2f} s "
            f"| {lg.seconds / cov.seconds:.2f}x | {lg.seconds / tm.seconds:.2f}x | {note} |"
        )
    total = sum(bench.differences.values())
    lines += ["", f"incremental vs --no-cache differences: {total} (goal: 0)"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="a Faker checkout instead of the sdist")
    parser.add_argument("--version", help="the Faker version to download (default: newest)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    started = time.time()
    load = f"{os.getloadavg()[0]:.2f}"
    work = Path(tempfile.mkdtemp(prefix="lockgate-faker-"))
    try:
        tree = fetch(work, args.version, args.source, sys.executable)
        say(f"Faker from {tree}; environment in {work / 'venv'} …")
        python = environment(work, tree)
        copies = {tool: copy(tree, work / tool.split()[0]) for tool in TOOLS}
        bench = Bench(python, copies)
        bench.scenario("cold", compare=False)
        for n in (1, 2, 3):
            bench.scenario(f"no change {n}", compare=False)
        bench.edit(
            PROVIDER,
            '"Apt. ###"',
            '"Apt. ###", "Flat ###"',
            "one provider edited",
        )
        bench.scenario("provider edit", compare=True)
        bench.scenario("no change after it", compare=False)
        bench.append(SHARED, "\n\ndef _bench_helper() -> int:\n    return 1\n", "shared edit")
        bench.scenario("shared edit", compare=True)
        bench.scenario("no change after it ", compare=False)
        text = table(bench, load, started)
        print()
        print(text)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"written to {args.out}")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
