"""Scale on paper: a store's recorded unit durations replayed on 8, 32 and 128 workers.

    python benchmarks/scale.py STORE [STORE ...] [--workers 8,32,128] [--overhead 0.5]

STORE is a project's ``.lockgate`` folder (copied first: the original is never opened), e.g.
that of the 1,000-feature project ``generate.py`` writes after one ``lockgate align``, or of
Faker after ``faker.py``. This machine has 2 cores, so speed-up cannot be shown on real
hardware; this replays what a run's units took through three ways of spreading them
(lockgate/pipeline/schedule.py):

- static: ``--shard K/N``, longest first on the least loaded shard, by what each group's
  results took the time *before* (as the split weighs them), each shard then taking what its
  groups take this time;
- auto: ``--shard auto``, each worker claiming the next batch of groups from the queue
  (longest first; batches shrink as it drains, see pipeline/schedule.py: budget) when free;
- "no times": the same as the first sharded run would, with no stored durations (every
  group counts as an average one);
- dask: the tasks ``--executor dask://`` sends, list-scheduled in their priority order (the
  scheduler gives the next task to the worker free first): the test files cut by
  ``execution/balance.py: tasks`` from the stored file durations, longest first, then the
  import and construction probes (one a feature) cut the same way, with no times known. A
  verdict is judged on the client from its tasks' reports, so a test file read by many
  features runs once, in one task, and groups do not bind Dask.

Units are the groups a sharded run makes: a feature with all its layers, joined with every
feature that shares one of its test files (from the tested layer's inputs), and each test file
of no feature. A group's time this time is the sum of its layers' latest seconds but the
tested ones, plus what each test file it runs took (once: the store's durations, estimated
from the tested layers' seconds for a store from before durations were kept); its
expected time is what ``--shard K/N`` would weigh, the sum of the previous results' seconds
(the latest when there is no earlier one). ``--overhead`` seconds are added per claim (a
batch for auto, a task for dask: a claim and a process start each) and once per static
shard.

Printed per store and worker count: the makespan, the slowest worker ÷ the mean, and the worst
cost of one lost worker (rework in units and seconds: a static shard's whole share of groups,
one batch of groups, or one Dask task). The issue's goals: slowest ≤ 1.15 times the mean at 8
workers; one lost worker ≤ 1 unit of rework. Never fails on the numbers.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from lockgate.execution import balance
from lockgate.keys.plan import SUITE_LAYER
from lockgate.pipeline import schedule
from lockgate.pipeline.schedule import Unit
from lockgate.pipeline.shard import groups
from lockgate.store.store import NewResult, Store

TESTED = "tested"
PROBED = ("imported", "instantiated")  # the layers a feature's import probe decides


def recorded(folder: Path) -> tuple[list[NewResult], dict[str, float]]:
    """Every result a copy of the store at ``folder`` holds that verifies, and what each test
    file took when it last ran."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / ".lockgate"
        copy.mkdir()
        for name in ("store.sqlite", "store.sqlite-wal"):
            if (folder / name).is_file():
                shutil.copy2(folder / name, copy / name)
        store = Store(copy, set_aside=False)
        try:
            facts = store.facts([balance.DURATIONS])
            return store.sound_results(), balance.parse(facts.get(balance.DURATIONS))
        finally:
            store.close()


def units(results: list[NewResult], durations: dict[str, float]) -> list[Unit]:
    """The run's groups with their expected and actual seconds (see the module's text)."""
    runs: dict[tuple[str, str], list[NewResult]] = defaultdict(list)
    for r in sorted(results, key=lambda r: r.created or 0.0):
        runs[r.feature, r.layer].append(r)
    latest = {k: rs[-1] for k, rs in runs.items()}
    before = {k: (rs[-2] if len(rs) > 1 else rs[-1]).seconds for k, rs in runs.items()}
    features = sorted({f for f, layer in latest if layer != SUITE_LAYER})
    suite = sorted({f for f, layer in latest if layer == SUITE_LAYER})
    tests_of = {
        f: list(latest[f, TESTED].inputs.get("config", {}).get("tests", []))
        for f in features
        if (f, TESTED) in latest
    }
    expected: dict[str, float] = defaultdict(float)
    for (owner, layer), seconds in before.items():
        expected[f"{'t' if layer == SUITE_LAYER else 'f'}:{owner}"] += seconds
    took = took_estimated(
        {*suite, *(f for read in tests_of.values() for f in read)},
        durations,
        {
            **{f: (latest[f, TESTED].seconds, read) for f, read in tests_of.items()},
            **{t: (latest[t, SUITE_LAYER].seconds, [t]) for t in suite},
        },
    )
    out = []
    for group in groups(features, suite, tests_of, expected):
        # the layers a probe or the client decides, then each test file the group runs, once
        actual = sum(
            latest[f, layer].seconds
            for f in group.features
            for layer in {layer for owner, layer in latest if owner == f}
            if layer != TESTED
        )
        files = {*group.suite, *(t for f in group.features for t in tests_of.get(f, []))}
        out.append(Unit(group.lead, group.seconds, actual + sum(took[t] for t in files)))
    return out


def dask_tasks(results: list[NewResult], durations: dict[str, float], workers: int) -> list[Unit]:
    """What ``--executor dask://`` sends, in its priority order: the test files the tested and
    suite layers read, cut into tasks (longest first), then the probes (a feature's imported
    and instantiated layers' seconds) cut into tasks. The other layers are judged on the
    client."""
    latest: dict[tuple[str, str], NewResult] = {}
    for r in sorted(results, key=lambda r: r.created or 0.0):
        latest[r.feature, r.layer] = r
    files: dict[str, None] = {}
    probes: dict[str, float] = defaultdict(float)
    tested: dict[str, tuple[float, list[str]]] = {}
    for (owner, layer), result in sorted(latest.items()):
        if layer == SUITE_LAYER:
            files[owner] = None
            tested[owner] = (result.seconds, [owner])
        elif layer == TESTED:
            read = list(result.inputs.get("config", {}).get("tests", []))
            files.update(dict.fromkeys(read))
            tested[owner] = (result.seconds, read)
        elif layer in PROBED:
            probes[owner] += result.seconds
    took = took_estimated(files, durations, tested)
    out = []
    # cut as lockgate would (by the stored durations, if any), timed by what the files take
    for i, task in enumerate(balance.tasks(list(files), workers, durations)):
        out.append(Unit(f"tests{i}", sum(took[f] for f in task), sum(took[f] for f in task)))
    # then the probes, cut the same way with no times known (a request carries none)
    for i, task in enumerate(balance.tasks(list(probes), workers, {})):
        out.append(Unit(f"probes{i}", sum(probes[f] for f in task), sum(probes[f] for f in task)))
    return out


def took_estimated(
    files: Iterable[str],
    durations: dict[str, float],
    tested: dict[str, tuple[float, list[str]]],
) -> dict[str, float]:
    """What each test file takes: its stored duration, else (a store from before durations
    were kept) an estimate from the layers that read it: a tested result's seconds are its
    files' seconds, each divided by its readers, so a file gets its readers' seconds split
    evenly over their files, times its readers."""
    share: dict[str, list[float]] = defaultdict(list)
    for seconds, read in tested.values():
        for f in read:
            share[f].append(seconds / len(read))
    return {f: durations[f] if f in durations else sum(share[f]) for f in files}


def table(
    name: str,
    found: list[Unit],
    workers: list[int],
    overhead: float,
    smallest: float,
    dask: Callable[[int], list[Unit]],
) -> list[str]:
    total = sum(u.actual for u in found)
    longest = max((u.actual for u in found), default=0.0)
    lines = [
        f"## {name}",
        "",
        f"{len(found)} groups, {total:,.1f} s of work on one worker, the longest "
        f"{longest:,.1f} s; overhead {overhead} s per claim; auto's batches hold at least "
        f"{smallest} s",
        "",
        "| workers | way | makespan (s) | slowest ÷ mean | claims | lost worker: units "
        "| lost worker: s |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for count in workers:
        # as the first sharded run, with no stored times: every group counts as 1 s
        cold = [Unit(u.name, 1.0, u.actual) for u in found]
        ways = (
            ("static", schedule.static(found, count, overhead)),
            ("static, no times", schedule.static(cold, count, overhead)),
            ("auto", schedule.claimed(found, count, overhead, smallest)),
            ("auto, no times", schedule.claimed(cold, count, overhead, smallest)),
            ("dask", schedule.listed(dask(count), count, overhead)),
        )
        for way, plan in ways:
            lost, seconds = plan.lost_worker()
            lines.append(
                f"| {count} | {way} | {plan.makespan:,.1f} | {plan.imbalance:.2f} "
                f"| {plan.batches} | {lost} | {seconds:,.1f} |"
            )
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("stores", nargs="+", type=Path, help="a project's .lockgate folder")
    parser.add_argument("--workers", default="8,32,128")
    parser.add_argument("--overhead", type=float, default=0.5)
    parser.add_argument(
        "--batch", type=float, default=schedule.SMALLEST, help="auto's smallest batch, seconds"
    )
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")]
    for folder in args.stores:
        results, durations = recorded(folder)
        found = units(results, durations)
        if not found:
            print(f"## {folder}\n\nno verified results (another user's store?)\n")
            continue
        dask = partial(dask_tasks, results, durations)
        print("\n".join(table(str(folder), found, workers, args.overhead, args.batch, dask)))


if __name__ == "__main__":
    main()
