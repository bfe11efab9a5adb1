"""Audit mode's window (keys/audit_window.py): any ``window`` consecutive runs audit every
part once, so every served result is audited within ``ceil(1/f)`` runs; the mean cost per run
stays within the issue's "FRACTION of a cold run, plus 5 %"; and a result's part is its own."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from lockgate.keys.audit_window import next_due, part_due, part_of, parts, plan, window

fractions = st.floats(min_value=1e-4, max_value=1.0)


def test_the_windows_of_the_documented_fractions() -> None:
    # (fraction, window, parts, the runs of a window that audit)
    for fraction, size, count, due in [
        (1.0, 1, 1, [0]),
        (0.3, 4, 1, [0]),
        (0.05, 20, 2, [0, 10]),
        (0.02, 50, 3, [0, 16, 33]),
        (0.01, 100, 6, [0, 16, 33, 50, 66, 83]),
    ]:
        assert (window(fraction), parts(fraction)) == (size, count)
        assert [s for s in range(size) if part_due(fraction, s) is not None] == due


@given(fractions, st.integers(min_value=0, max_value=10**6))
def test_any_window_of_consecutive_runs_audits_every_part_once(fraction: float, first: int) -> None:
    size = window(fraction)
    audited = [part_due(fraction, s) for s in range(first, first + min(size, 2000))]
    due = [p for p in audited if p is not None]
    if size <= 2000:
        assert sorted(due) == list(range(parts(fraction)))
    else:  # a long window: what it holds so far is no part twice
        assert len(due) == len(set(due))
    assert size == math.ceil(round(1 / fraction, 9))


@given(fractions)
def test_the_mean_cost_per_run_is_the_fraction_of_a_cold_run_plus_at_most_5_percent(
    fraction: float,
) -> None:
    # A window pays the fixed cost once per part and re-runs every served result once:
    # (parts · fixed + work) / window <= f · cold + (parts - 1) · f · fixed, and fixed <= cold.
    assert window(fraction) >= 1 / fraction - 1e-9
    assert (parts(fraction) - 1) * fraction <= 0.05 + 1e-9
    assert 1 <= parts(fraction) <= window(fraction)


@given(fractions, st.integers(min_value=0, max_value=10**6))
def test_the_next_due_run_audits_and_none_between(fraction: float, seed: int) -> None:
    following = next_due(fraction, seed)
    assert following > seed and part_due(fraction, following) is not None
    assert all(part_due(fraction, s) is None for s in range(seed + 1, following))
    audit = plan(fraction, seed)
    assert (audit.part, audit.next_due, audit.window) == (
        part_due(fraction, seed),
        following,
        window(fraction),
    )


def test_a_results_part_depends_on_its_own_identity_only() -> None:
    names = [(f"key{i}", f"pkg.F{i}", "tested") for i in range(400)]
    found = [part_of(*n, 0.01) for n in names]
    assert found == [part_of(*n, 0.01) for n in reversed(names)][::-1]
    counts = [found.count(p) for p in range(parts(0.01))]
    assert all(30 < c < 110 for c in counts), counts  # six parts of about 67
    assert {part_of(*n, 0.3) for n in names} == {0}
