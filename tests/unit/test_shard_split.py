"""``--shard K/N`` (pipeline/shard.py): parsing, and a split that is a partition, keeps what
must run together in one shard, does not depend on input order, and is balanced."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lockgate.errors import LockgateError
from lockgate.pipeline.shard import Shard, parse, split


def test_parse() -> None:
    assert parse("1/4") == Shard(1, 4)
    assert parse("4/4") == Shard(4, 4)
    assert parse("1/1") == Shard(1, 1)


@pytest.mark.parametrize(
    "text", ["0/4", "5/4", "1/0", "a/b", "1", "", "-1/2", " 1/2", "1/2/3", "1.0/2"]
)
def test_a_bad_shard_is_one_line_naming_it(text: str) -> None:
    with pytest.raises(LockgateError) as raised:
        parse(text)
    assert str(raised.value) == (
        f"--shard {text!r}: expected K/N with 1 <= K <= N (whole numbers), e.g. --shard 1/4"
    )


def shards(
    features: list[str],
    suite: list[str],
    tests_of: Mapping[str, list[str]],
    seconds: Mapping[str, float],
    count: int,
) -> list[tuple[set[str], set[str]]]:
    """What each of ``count`` shards validates."""
    return [split(features, suite, tests_of, seconds, Shard(k, count)) for k in range(1, count + 1)]


def test_a_shared_test_file_puts_its_features_in_one_shard() -> None:
    tests_of = {"a": ["t1"], "b": ["t1", "t2"], "c": ["t3"]}
    parts = shards(["a", "b", "c", "d"], ["s1", "s2"], tests_of, {}, 3)
    [(features, tests)] = [p for p in parts if "a" in p[0]]
    assert {"a", "b"} <= features and {"t1", "t2"} <= tests
    assert set().union(*(f for f, _ in parts)) == {"a", "b", "c", "d"}
    assert set().union(*(t for _, t in parts)) == {"t1", "t2", "t3", "s1", "s2"}


def test_one_shard_takes_everything() -> None:
    assert split(["a", "b"], ["s"], {"a": ["t"]}, {}, Shard(1, 1)) == ({"a", "b"}, {"t", "s"})


def test_more_shards_than_work_leaves_some_empty() -> None:
    parts = shards(["a"], [], {}, {}, 3)
    assert sorted(len(f) for f, _ in parts) == [0, 0, 1]


def test_known_times_balance_the_load() -> None:
    # one slow feature alone, the quick ones together
    seconds = {"f:slow": 10.0, "f:q1": 1.0, "f:q2": 1.0, "f:q3": 1.0}
    parts = shards(["slow", "q1", "q2", "q3"], [], {}, seconds, 2)
    assert sorted(sorted(f) for f, _ in parts) == [["q1", "q2", "q3"], ["slow"]]


NAMES = st.text("abcdefgh", min_size=1, max_size=3)


@st.composite
def work(
    draw: st.DrawFn,
) -> tuple[list[str], list[str], dict[str, list[str]], dict[str, float], int]:
    """Features, suite files, each feature's test files, last times, and a shard count."""
    features = draw(st.lists(NAMES, max_size=12, unique=True))
    suite = draw(st.lists(NAMES.map("s_".__add__), max_size=8, unique=True))
    tests_of = {
        f: draw(st.lists(NAMES.map("t_".__add__), max_size=3, unique=True)) for f in features
    }
    units = [f"f:{f}" for f in features] + [f"t:{t}" for t in suite]
    seconds = draw(
        st.dictionaries(st.sampled_from(units), st.floats(0, 100), max_size=len(units))
        if units
        else st.just({})
    )
    return features, suite, tests_of, seconds, draw(st.integers(1, 5))


def groups(
    features: list[str], suite: list[str], tests_of: Mapping[str, list[str]]
) -> list[set[str]]:
    """What must run together, computed the slow way: features joined through shared tests."""
    out: list[set[str]] = [{f"f:{f}", *(f"t:{t}" for t in tests_of.get(f, []))} for f in features]
    out += [{f"t:{t}"} for t in suite]
    merged: list[set[str]] = []
    for group in out:
        for other in [m for m in merged if m & group]:
            merged.remove(other)
            group = group | other
        merged.append(group)
    return merged


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=work(), data=st.data())
def test_split_properties(
    case: tuple[list[str], list[str], dict[str, list[str]], dict[str, float], int],
    data: st.DataObject,
) -> None:
    features, suite, tests_of, seconds, count = case
    parts = shards(features, suite, tests_of, seconds, count)
    # a partition of the work
    everything_tests = set(suite).union(*(tests_of[f] for f in features))
    assert set().union(*(f for f, _ in parts)) == set(features)
    assert set().union(*(t for _, t in parts)) == everything_tests
    assert sum(len(f) for f, _ in parts) == len(features)
    assert sum(len(t) for _, t in parts) == len(everything_tests)
    # what must run together runs in one shard
    shard_of = {f"f:{u}": k for k, (fs, _) in enumerate(parts) for u in fs}
    shard_of.update({f"t:{u}": k for k, (_, ts) in enumerate(parts) for u in ts})
    together = groups(features, suite, tests_of)
    for group in together:
        assert len({shard_of[u] for u in group}) == 1, group
    # stable: the same split whatever the order of the inputs
    shuffled = shards(
        data.draw(st.permutations(features)),
        data.draw(st.permutations(suite)),
        {f: data.draw(st.permutations(t)) for f, t in reversed(tests_of.items())},
        dict(reversed(seconds.items())),
        count,
    )
    assert shuffled == parts
    # balanced: loads differ by at most the heaviest group (a group without a time counts as
    # the mean of the known ones, 1.0 when none is known)
    known = [sum(seconds[u] for u in g if u in seconds) for g in together if g & seconds.keys()]
    usual = sum(known) / len(known) if known else 1.0
    weight = [
        sum(seconds[u] for u in g if u in seconds) if g & seconds.keys() else usual
        for g in together
    ]
    loads = [0.0] * count
    for group, load in zip(together, weight, strict=True):
        loads[shard_of[next(iter(group))]] += load
    assert max(loads) - min(loads) <= max(weight, default=0.0) + 1e-9
