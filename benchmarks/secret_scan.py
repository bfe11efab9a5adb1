"""Time deploy's secret scan on a real tree: first (empty store), then unchanged.

    python benchmarks/secret_scan.py --source /path/to/tree [--jobs N] [--repeat 3]

The tree's files (not its .git) are copied to a temporary repository and committed; a
``lockgate.toml`` is written when the tree has no lockgate configuration. Each row is the
package step of ``lockgate deploy`` (``deploy.package.inspect``: read, hash and scan every
shipped file, reusing stored scans) with the closure and mocks gates off, so the secret scan is
what it times: once with an empty store, then ``--repeat`` times with the store the first run
filled, then with the purity gate off (no scan at all: reading, hashing and selecting the
files, which a deploy does anyway). The findings' count is printed so two versions can be
compared. Times are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

CONFIG = """\
src = ["."]

[[features]]
kind = "tree"
paths = ["."]
"""


def copy(source: Path, dest: Path) -> None:
    """``source``'s files, without .git, committed in a new repository at ``dest``."""
    shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    if not (dest / "lockgate.toml").exists() and "[tool.lockgate" not in _text(
        dest / "pyproject.toml"
    ):
        (dest / "lockgate.toml").write_text(CONFIG, encoding="utf-8")
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-01-01T00:00:00",
           "GIT_COMMITTER_DATE": "2026-01-01T00:00:00"}  # fmt: skip
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    subprocess.run(["git", "add", "-A"], cwd=dest, check=True, env=env)
    subprocess.run(["git", *ident, "commit", "-qm", "tree"], cwd=dest, check=True, env=env)


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="the tree to scan")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--repeat", type=int, default=3, help="unchanged runs (median shown)")
    args = parser.parse_args()

    from lockgate import git
    from lockgate.deploy.package.inspect import inspect
    from lockgate.project import config
    from lockgate.store.store import Store

    work = Path(tempfile.mkdtemp(prefix="lockgate-scan-bench-"))
    try:
        project = work / "tree"
        copy(args.source.resolve(), project)
        cfg = config.load(project).config
        cfg = cfg.model_copy(
            update={"gates": cfg.gates.model_copy(update={"closure": "off", "mocks": "off"})}
        )
        head = git.head(project)
        store = Store(work / "store")
        start = time.perf_counter()
        package = inspect(project, cfg, head, args.jobs, store)
        first = time.perf_counter() - start
        again = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            inspect(project, cfg, head, args.jobs, store)
            again.append(time.perf_counter() - start)
        # the same step with the purity gate off: what an unchanged deploy pays besides the scan
        unscanned = cfg.model_copy(update={"gates": cfg.gates.model_copy(update={"purity": "off"})})
        without = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            inspect(project, unscanned, head, args.jobs, store)
            without.append(time.perf_counter() - start)
        store.close()
        evidence = package.evidence
        findings = sum(len(found) for _, found in evidence.scanned.values())
        load = os.getloadavg()
        print(f"\nsecret scan of {args.source} ({os.cpu_count()} cores, --jobs {args.jobs})\n")
        print("| run | files shipped | files scanned | findings | seconds |")
        print("| --- | ---: | ---: | ---: | ---: |")
        print(
            f"| first | {len(package.files)} | {len(evidence.scanned)} | {findings} | {first:.2f} |"
        )
        print(f"| unchanged (median of {len(again)}) | {len(package.files)} | 0 | "
              f"{findings} | {statistics.median(again):.2f} |")  # fmt: skip
        print(f"| unchanged, purity gate off (median of {len(without)}) | {len(package.files)} | "
              f"0 | - | {statistics.median(without):.2f} |")  # fmt: skip
        print(f"\nload average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
