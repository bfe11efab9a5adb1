"""What the sandbox costs: listing, building, checking and restoring a copy of an N-file tree.

Writes a synthetic git repository (``--files`` files, default 5,000: Python modules and data
files in folders of 50, about 1.5 KB each, committed) and times, each ``--repeat`` times (median
reported, minimum beside it):

- *list*: ``git ls-files`` plus the walk for Python files and extension modules (once a run);
- *build*: copy every file into a fresh place (reflinks where the file system has them);
- *settle, nothing written*: compare the place with what was put in (after every test process);
- *settle, 3 files written*: the same, plus putting three changed files back;
- *work tree listed* / *compared*: the tripwire's look at the work tree's folders before the
  run's first process and after its last (once a run each);
- *baseline*: creating as many files of that size in plain Python, one after the other: the file
  system's own price, which a copy cannot beat (a reflink does not avoid creating the inode);
- *no-change align*: nothing runs, so no place is built (the sandbox is never touched: 0).

    python benchmarks/sandbox.py [--files 5000] [--repeat 5] [--tmp /dev/shm]

Prints a table; never fails on a time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from lockgate.execution import reaper
from lockgate.execution.sandbox import Sandbox
from lockgate.execution.tripwire import Tripwire


def make_tree(root: Path, files: int) -> None:
    """``files`` files in folders of 50, committed as one git repository."""
    body = "".join(
        f"VALUE_{i} = {i} * 3  # a line of a module of moderate size\n" for i in range(30)
    )
    for i in range(files):
        folder = root / "src" / "pkg" / f"part{i // 50:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"mod{i % 50:02d}.py" if i % 5 else f"data{i % 50:02d}.json"
        (folder / name).write_text(body, encoding="utf-8")
    (root / ".gitignore").write_text("*.log\n", encoding="utf-8")
    run = {"cwd": root, "check": True, "capture_output": True}
    subprocess.run(["git", "init", "-q", "-b", "main"], **run)  # type: ignore[call-overload]
    subprocess.run(["git", "add", "-A"], **run)  # type: ignore[call-overload]
    subprocess.run(
        ["git", "-c", "user.name=b", "-c", "user.email=b@b.invalid", "commit", "-qm", "tree"],
        **run,  # type: ignore[call-overload]
    )


def timed(step: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """Median and minimum wall seconds of ``repeat`` calls, and their median CPU seconds (on a
    loaded machine the wall time mostly measures the others)."""
    seconds, cpu = [], []
    for _ in range(repeat):
        start, used = time.perf_counter(), time.process_time()
        step()
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - used)
    return statistics.median(seconds), min(seconds), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tmp", help="where the run folder (and so the sandbox) goes: $TMPDIR")
    args = parser.parse_args()
    if args.tmp:
        tempfile.tempdir = args.tmp
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="lockgate-bench-sandbox-") as tmp:
        root = Path(tmp) / "tree"
        make_tree(root, args.files)
        rows: list[tuple[str, float, float, float]] = []
        rows.append(("list", *timed(lambda: Sandbox(root).manifest, args.repeat)))
        sandbox = Sandbox(root)
        count = len(sandbox.manifest)
        names = iter(range(10**6))
        rows.append(("build", *timed(lambda: sandbox.place(f"b{next(names)}"), args.repeat)))
        place = sandbox.place("settle")
        rows.append(("settle, nothing written", *timed(lambda: place.settle([]), args.repeat)))
        targets = [place.root / p for p in sandbox.manifest[:3]]

        def write_three() -> None:
            for target in targets:
                target.write_text("changed\n", encoding="utf-8")
            place.settle(["bench"])

        rows.append(("settle, 3 files written", *timed(write_three, args.repeat)))
        real = str(sandbox.root)
        rows.append(
            ("work tree listed", *timed(lambda: Tripwire(real, sandbox.manifest, ()), args.repeat))
        )
        wire = Tripwire(real, sandbox.manifest, ())
        rows.append(("work tree compared", *timed(wire.changes, args.repeat)))
        data = targets[0].read_bytes() if targets else b""
        bare = iter(range(10**6))

        def create_all() -> None:
            # the floor: what the file system charges for creating as many files, serially
            top = Path(tmp) / f"bare{next(bare)}"
            for i in range(count):
                folder = top / f"d{i // 50}"
                if i % 50 == 0:
                    folder.mkdir(parents=True)
                (folder / f"f{i}").write_bytes(data)

        rows.append((f"baseline: create {count:,} files", *timed(create_all, args.repeat)))
        reflinks = "reflinks" if sandbox._copier.reflinks else "copies (no reflinks here)"
        sandbox.close()
        reaper.cleanup()
    where = tempfile.gettempdir()
    print(f"sandbox of {count:,} files in {where} ({reflinks}), {args.repeat} runs each\n")
    print(f"load average before: {load[0]:.1f} (1 min), {os.cpu_count()} cores\n")
    print("| step | median | min | CPU (median) |")
    print("| --- | ---: | ---: | ---: |")
    for name, median, low, cpu in rows:
        print(f"| {name} | {median:.3f} s | {low:.3f} s | {cpu:.3f} s |")
    print("| no-change align | 0 (no place is built) | | |")


if __name__ == "__main__":
    main()
