"""Test files shared out over a batch's processes by what each took (issue 21)."""

from __future__ import annotations

from lockgate.execution.balance import SMALLEST_TASK, TASKS_PER_WORKER, dump, parse, shares, tasks
from lockgate.pipeline.schedule import Unit, listed


def test_the_longest_files_go_first_to_the_least_loaded_process() -> None:
    # in the batch's order: every feature's test files, then the suite's long files
    files = [f"tests/features/test_f{n}.py" for n in range(6)] + [
        "tests/test_a.py",
        "tests/test_b.py",
    ]
    seconds = {f: 1.0 for f in files[:6]} | {"tests/test_a.py": 500.0, "tests/test_b.py": 430.0}
    one, two = shares(files, 2, seconds)
    loads = [sum(seconds[f] for f in share) for share in (one, two)]
    assert sorted(loads) == [436.0, 500.0]  # cut by count: 6 s against 930 s
    assert one == sorted(one, key=files.index) and two == sorted(two, key=files.index)
    assert sorted(one + two) == sorted(files)


def test_a_file_with_no_known_time_counts_as_the_mean_and_the_split_is_stable() -> None:
    files = ["a.py", "b.py", "c.py", "d.py"]
    assert shares(files, 2, {}) == shares(files, 2, {}) == [["a.py", "c.py"], ["b.py", "d.py"]]
    # c and d count as the mean, 5 s
    assert shares(files, 2, {"a.py": 9.0, "b.py": 1.0}) == [["a.py", "b.py"], ["c.py", "d.py"]]
    assert shares(files, 3, {})[2] == ["c.py"]
    assert shares(["a.py"], 2, {}) == [["a.py"], []]


def test_stored_durations_that_cannot_be_read_are_none() -> None:
    assert parse(dump({"b.py": 1.23456, "a.py": 2})) == {"a.py": 2.0, "b.py": 1.235}
    for bad in (None, "", "not json", "[1, 2]", '{"a.py": "slow", "b.py": -1}'):
        assert parse(bad) == {}


def test_a_pool_gets_tasks_of_about_equal_time_longest_first() -> None:
    # Faker's shape: one file of 17.5 s, a few of 5-10 s, many of under a second; in file
    # order, cut by count (as before), the files of one folder made the slowest tasks
    seconds = {"tests/test_address.py": 17.5, "tests/test_formats.py": 8.5}
    seconds |= {f"tests/test_p{n}.py": 5.0 + n for n in range(6)}
    seconds |= {f"tests/z/test_small{n}.py": 0.5 for n in range(200)}
    files = sorted(seconds)
    cut = tasks(files, 8, seconds)
    assert 8 * TASKS_PER_WORKER <= len(cut) <= 60  # one pytest start each
    assert sorted(f for task in cut for f in task) == files  # each file in one task
    loads = [sum(seconds[f] for f in task) for task in cut]
    assert loads == sorted(loads, reverse=True)  # sent longest first
    assert loads[0] == 17.5  # the longest file alone: nothing joins it
    # the pool gives the next task to whoever is free: the slowest of 8 workers
    workers = listed([Unit(str(i), t, t) for i, t in enumerate(loads)], 8)
    assert workers.imbalance <= 1.15
    # cut by count in file order (as before), the same pool's slowest is 1.9x the mean
    size = -(-len(files) // 8)
    by_count = [sum(seconds[f] for f in files[i : i + size]) for i in range(0, len(files), size)]
    assert listed([Unit(str(i), t, t) for i, t in enumerate(by_count)], 8).imbalance > 1.5
    assert min(loads) >= SMALLEST_TASK - 0.5  # but the last: small files join
    # a few files: one task each while they are worth a start, never an empty one
    assert tasks(["a.py", "b.py"], 8, {"a.py": 3.0, "b.py": 3.0}) == [["a.py"], ["b.py"]]
    assert tasks(["a.py", "b.py"], 8, {}) == [["a.py", "b.py"]]
    assert tasks([], 8, {}) == []
