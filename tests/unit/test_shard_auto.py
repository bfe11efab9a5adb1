"""``--shard auto``'s pure parts (pipeline/claim.py, pipeline/shard.py) and the scheduling on
paper that benchmarks/scale.py replays (pipeline/schedule.py)."""

from __future__ import annotations

import pytest

from lockgate.errors import LockgateError
from lockgate.pipeline import claim, schedule
from lockgate.pipeline.schedule import Unit
from lockgate.pipeline.shard import AUTO, Shard, groups, parse, split


def test_auto_parses_as_its_own_shard() -> None:
    assert parse("auto") == AUTO and AUTO.auto
    assert not Shard(1, 2).auto


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "2"}, "42-2"),
        ({"GITHUB_RUN_ID": "42"}, "42"),
        ({"CI_PIPELINE_ID": "7"}, "7"),
        ({"BUILDKITE_BUILD_ID": "b-1"}, "b-1"),
    ],
)
def test_the_run_id_comes_from_the_ci(env: dict[str, str], expected: str) -> None:
    assert claim.run_id(None, env) == expected
    assert claim.run_id("mine", env) == "mine"


def test_no_run_id_is_one_line() -> None:
    with pytest.raises(LockgateError, match="--run-id ID, or one of GITHUB_RUN_ID"):
        claim.run_id(None, {})
    with pytest.raises(LockgateError, match="--run-id needs a value"):
        claim.run_id(" ", {})


def test_the_lease_and_the_smallest_batch() -> None:
    assert claim.lease({}) == claim.LEASE
    assert claim.lease({claim.LEASE_ENV: "0.5"}) == 0.5
    for bad in ("0", "-1", "x", "nan"):
        with pytest.raises(LockgateError, match=claim.LEASE_ENV):
            claim.lease({claim.LEASE_ENV: bad})
    assert claim.smallest_batch({}) == schedule.SMALLEST
    assert claim.smallest_batch({claim.BATCH_ENV: "0"}) == 0.0
    with pytest.raises(LockgateError, match=claim.BATCH_ENV):
        claim.smallest_batch({claim.BATCH_ENV: "-1"})


def test_batches_shrink_as_the_queue_drains() -> None:
    assert schedule.budget(10_000.0, 8) == schedule.LARGEST
    assert schedule.budget(320.0, 8) == 10.0
    assert schedule.budget(1.0, 8) == schedule.SMALLEST
    assert schedule.budget(1.0, 8, smallest=0.0) == 1.0 / 32
    assert schedule.take([3.0, 2.0, 1.0, 1.0], 5.0) == 2
    assert schedule.take([9.0, 1.0], 5.0) == 1  # the first group alone may be more
    assert schedule.take([], 5.0) == 0


def test_jobs_share_a_queue_only_for_the_same_run_and_work() -> None:
    work = groups(["a", "b"], ["s"], {"a": ["t"]}, {})
    same = groups(["b", "a"], ["s"], {"a": ["t"]}, {"f:a": 3.0})  # other order, other times
    assert claim.queue_name("r", work) == claim.queue_name("r", same)
    assert claim.queue_name("r", work) != claim.queue_name("r2", work)
    assert claim.queue_name("r", work) != claim.queue_name("r", groups(["a"], ["s"], {}, {}))


def test_groups_come_longest_first_and_unknown_ones_as_average() -> None:
    found = groups(["a", "b", "c"], [], {}, {"f:a": 1.0, "f:b": 5.0})
    assert [g.lead for g in found][:1] == ["f:b"]
    assert {g.lead: g.seconds for g in found} == {"f:a": 1.0, "f:b": 5.0, "f:c": 3.0}


UNITS = [Unit(f"u{i}", float(i % 7 + 1), float(i % 7 + 1)) for i in range(200)]


def test_static_places_as_shard_k_of_n() -> None:
    seconds = {f"f:{u.name}": u.expected for u in UNITS}
    plan = schedule.static(UNITS, 4)
    for k in range(4):
        features, _ = split([u.name for u in UNITS], [], {}, seconds, Shard(k + 1, 4))
        [share] = plan.workers[k]
        assert features == {u.name for u in share}


def test_claiming_balances_what_estimates_got_wrong() -> None:
    # every estimate says equal; the actual times are skewed
    skewed = [Unit(u.name, 1.0, u.actual) for u in UNITS]
    assert schedule.static(skewed, 8).imbalance > 1.15
    assert schedule.claimed(skewed, 8).imbalance <= 1.15
    assert schedule.claimed(UNITS, 8).imbalance <= 1.15
    ran = [u for w in schedule.claimed(UNITS, 8).workers for b in w for u in b]
    assert sorted(u.name for u in ran) == sorted(u.name for u in UNITS)


def test_a_lost_worker_costs_its_share_statically_and_one_batch_otherwise() -> None:
    plan = schedule.static(UNITS, 8)
    assert plan.lost_worker() == max((len(s), sum(u.actual for u in s)) for [s] in plan.workers)
    # a batch is at most a quarter of a worker's share of what is left
    total = sum(u.actual for u in UNITS)
    _, seconds = schedule.claimed(UNITS, 8, smallest=0.0).lost_worker()
    assert seconds <= total / (schedule.SHARE * 8) and seconds < plan.lost_worker()[1] / 3
    assert schedule.claimed(UNITS[:8], 8, smallest=0.0).lost_worker() == (1, 7.0)
    assert schedule.listed(UNITS, 8).lost_worker() == (1, 7.0)
    assert schedule.listed([], 8).lost_worker() == (0, 0.0)


def test_overhead_is_per_batch() -> None:
    two = [Unit("a", 1.0, 1.0), Unit("b", 1.0, 1.0)]
    assert schedule.claimed(two, 1, overhead=0.5).makespan == 2.5  # one batch of both
    assert schedule.claimed(two, 1, overhead=0.5, smallest=0.0).makespan == 3.0
    assert schedule.static(two, 1, overhead=0.5).makespan == 2.5
    assert schedule.listed(two, 1, overhead=0.5).makespan == 3.0
