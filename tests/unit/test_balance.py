"""Test files shared out over a batch's processes by what each took (issue 21)."""

from __future__ import annotations

from lockgate.execution.balance import dump, parse, shares


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
