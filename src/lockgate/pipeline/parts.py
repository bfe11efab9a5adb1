"""What a sharded run validates: the groups of its plan, shard K's part of them, and the
groups an auto job claimed (pipeline/shard.py, pipeline/claim.py)."""

from __future__ import annotations

from dataclasses import dataclass

from lockgate.keys.plan import SUITE_LAYER, Planned
from lockgate.layers.base import Context
from lockgate.pipeline import claim
from lockgate.pipeline.runner import Runner
from lockgate.pipeline.shard import Group, Shard, groups, place
from lockgate.project.discover import broken_files
from lockgate.remote.client import Remote
from lockgate.store.store import Store


@dataclass(frozen=True)
class Part:
    """What one shard validates."""

    features: set[str]
    suite: set[str]  # test files of no feature

    def holds(self, item: Planned) -> bool:
        return item.owner in (self.suite if item.layer == SUITE_LAYER else self.features)


def groups_of(ctx: Context, store: Store | None, planned: list[Planned]) -> list[Group]:
    """The run's work as groups, longest first (pipeline/shard.py).

    Timed by what each (feature, layer) took the last time it ran for other inputs: never
    by what the current keys' results took, nor by which of them are stored, as other shards
    store those meanwhile, and every shard must compute the same split.
    """
    last = store.earlier_seconds({p.key for p in planned}) if store is not None else {}
    seconds: dict[str, float] = {}
    unknown: set[str] = set()
    for item in planned:
        unit = f"{'t' if item.layer == SUITE_LAYER else 'f'}:{item.owner}"
        if (item.owner, item.layer) in last:
            seconds[unit] = seconds.get(unit, 0.0) + last[item.owner, item.layer]
        else:
            unknown.add(unit)
    broken = broken_files(ctx.project.config, ctx.project.python_files, ctx.facts)
    return groups(
        [*(f.id for f in ctx.features), *broken],
        [p.owner for p in planned if p.layer == SUITE_LAYER],
        ctx.owners,
        {u: s for u, s in seconds.items() if u not in unknown},
    )


def shard_of(ctx: Context, store: Store | None, planned: list[Planned], shard: Shard) -> Part:
    """The features and suite test files of ``shard``: the groups placed on the least loaded
    shard, largest first."""
    ordered = groups_of(ctx, store, planned)
    features: set[str] = set()
    tests: set[str] = set()
    for where, group in zip(place(ordered, shard.count), ordered, strict=True):
        if where == shard.index - 1:
            features |= group.features
            tests |= group.suite
    return Part(features, tests)


def claimed(
    ctx: Context,
    store: Store | None,
    planned: list[Planned],
    runner: Runner,
    remote: Remote | None,
    job: claim.Job,
) -> tuple[Part, list[Planned]]:
    """``--shard auto``: claim groups from the run's queue and run each, publishing its
    results before it counts as done (a job that dies later loses none of them); returns
    what this job ran and its plan."""
    ordered = groups_of(ctx, store, planned)
    job.queue.name(claim.queue_name(job.run, ordered))
    mine: list[Planned] = []
    of_unit: dict[str, list[Planned]] = {}
    for item in planned:
        unit = f"{'t' if item.layer == SUITE_LAYER else 'f'}:{item.owner}"
        of_unit.setdefault(unit, []).append(item)
    sent: set[str] = set()  # the records of test files go out once, with the first group

    def run(batch: list[Group]) -> None:
        items = [p for g in batch for unit in g.units for p in of_unit.get(unit, [])]
        runner.execute(items)
        if remote is not None:
            fresh = [
                e for e in runner.entries(runner.new_results(items)) if e.result.key not in sent
            ]
            remote.publish(fresh)
            sent.update(e.result.key for e in fresh)
        mine.extend(items)

    ran = claim.claim_all(job, ordered, run)
    features = set[str]().union(*(g.features for g in ran))
    return Part(features, set[str]().union(*(g.suite for g in ran))), mine
