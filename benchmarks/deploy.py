"""Time `lockgate deploy --dry-run` on a real-shaped tree: first run, then unchanged.

    python benchmarks/deploy.py [--files 5000] [--features 20] [--jobs N] [--repeat 3] [--keep]

A generated project (benchmarks/generate.py) is padded with plain modules, documentation pages
and data files of realistic sizes (a few hundred bytes to ~20 KB, a few large ones) until it
tracks ``--files`` files, and committed. Each row is one `lockgate deploy PATH --dry-run --json
--quiet` subprocess on the wall clock; the secret-scan seconds come from a second, in-process
run of the package step alone (``deploy.package.inspect``) with an empty and then a warm store.
Times are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate

WORDS = (
    "account", "batch", "cache", "delta", "event", "filter", "group", "handler", "index", "job",
    "key", "limit", "message", "node", "offset", "page", "queue", "record", "stream", "token",
    "user", "value", "window", "zone", "config", "client", "server", "request", "response",
)  # fmt: skip


def _module(rng: random.Random, i: int) -> str:
    """A plain module: functions, constants, docstrings, some hex and base64-looking ids."""
    out = [f'"""Support module {i}: {" ".join(rng.sample(WORDS, 6))}."""', "", "import os", ""]
    hashes = rng.random() < 0.05  # a few modules hold hex ids: raw hits for the entropy plugin
    for j in range(rng.randint(3, 40)):
        name = "_".join(rng.sample(WORDS, 2))
        out += [f"DEFAULT_{name.upper()}_{j} = {rng.randint(0, 10_000)}", ""]
        if hashes:
            out += [f'CHECKSUM_{j} = "{rng.getrandbits(64):016x}"', ""]
        out += [
            f"def {name}_{j}(items: list[str], limit: int = {rng.randint(1, 99)}) -> list[str]:",
            f'    """Return the {rng.choice(WORDS)} items, at most ``limit`` of them."""',
            f'    prefix = os.environ.get("{name.upper()}_PREFIX", "{rng.choice(WORDS)}")',
            "    return [prefix + item for item in items[:limit] if item]",
            "",
        ]
    return "\n".join(out) + "\n"


def _page(rng: random.Random, i: int) -> str:
    paragraphs = [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 120))).capitalize() + "."
        for _ in range(rng.randint(2, 20))
    ]
    return f"# Note {i}\n\n" + "\n\n".join(paragraphs) + "\n"


def _data(rng: random.Random, i: int) -> str:
    rows = [{"id": rng.randint(1, 10**9), "name": rng.choice(WORDS)} for _ in range(50)]
    return json.dumps({"fixture": i, "rows": rows * rng.randint(1, 8)}, indent=2) + "\n"


def build(dest: Path, files: int, features: int) -> int:
    """The generated project padded to ``files`` tracked files; returns the count."""
    generate(dest, features)
    have = len(subprocess.run(["git", "ls-files"], cwd=dest, capture_output=True, text=True,
                              check=True).stdout.split())  # fmt: skip
    rng = random.Random(0)
    kinds = [("src/gen/support/m{:05}.py", _module, 6), ("docs/notes/n{:05}.md", _page, 3),
             ("data/d{:05}.json", _data, 1)]  # fmt: skip
    for i in range(max(0, files - have)):
        pattern, make, _ = rng.choices(kinds, weights=[k[2] for k in kinds])[0]
        path = dest / pattern.format(i)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make(rng, i), encoding="utf-8")
    (dest / "src/gen/support/__init__.py").write_text("")
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-01-01T00:00:00", "GIT_COMMITTER_DATE":
           "2026-01-01T00:00:00"}  # fmt: skip
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(["git", "add", "-A"], cwd=dest, check=True, env=env)
    subprocess.run(["git", *ident, "commit", "-qm", "padding"], cwd=dest, check=True, env=env)
    return len(subprocess.run(["git", "ls-files"], cwd=dest, capture_output=True, text=True,
                              check=True).stdout.split())  # fmt: skip


def deploy(project: Path, jobs: int | None) -> tuple[float, dict[str, object]]:
    args = [sys.executable, "-m", "lockgate", "deploy", str(project), "--dry-run", "--json", "-q"]
    if jobs is not None:
        args += ["--jobs", str(jobs)]
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"lockgate deploy failed ({proc.returncode}): {proc.stderr.strip()}")
    return took, json.loads(proc.stdout)


def inspect_seconds(project: Path, jobs: int) -> tuple[float, float, int]:
    """The package step alone (read, hash, scan every shipped file): empty store, then warm."""
    from lockgate import git
    from lockgate.deploy.package.inspect import inspect
    from lockgate.project import config
    from lockgate.store.store import Store

    cfg = config.load(project).config
    head = git.head(project)
    folder = Path(tempfile.mkdtemp(prefix="lockgate-inspect-store-"))
    try:
        store = Store(folder)
        start = time.perf_counter()
        package = inspect(project, cfg, head, jobs, store)
        first = time.perf_counter() - start
        start = time.perf_counter()
        inspect(project, cfg, head, jobs, store)
        warm = time.perf_counter() - start
        store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return first, warm, len(package.files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000, help="tracked files (default 5000)")
    parser.add_argument("--features", type=int, default=20, help="generated features")
    parser.add_argument("--jobs", type=int, help="passed to lockgate as --jobs N")
    parser.add_argument("--repeat", type=int, default=3, help="unchanged runs (median shown)")
    parser.add_argument("--keep", action="store_true", help="keep the project in /tmp")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lockgate-deploy-bench-"))
    project = work / "project"
    try:
        tracked = build(project, args.files, args.features)
        first, data = deploy(project, args.jobs)
        shipped = data["package"]["files"] if isinstance(data.get("package"), dict) else "?"
        again = [deploy(project, args.jobs)[0] for _ in range(args.repeat)]
        jobs = args.jobs or os.cpu_count() or 1
        scan_first, scan_warm, scanned = inspect_seconds(project, jobs)
        print(f"\nlockgate deploy --dry-run, {tracked} tracked files ({os.cpu_count()} cores)\n")
        print("| run | files tracked | files shipped | deploy s | package step s |")
        print("| --- | ---: | ---: | ---: | ---: |")
        print(f"| first | {tracked} | {shipped} | {first:.2f} | {scan_first:.2f} |")
        print(
            f"| unchanged (median of {len(again)}) | {tracked} | {shipped} | "
            f"{statistics.median(again):.2f} | {scan_warm:.2f} |"
        )
        print(f"\npackage step: {scanned} files read, hashed and (first) scanned for secrets")
        if args.keep:
            print(f"kept: {project}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
