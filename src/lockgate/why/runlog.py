"""The record of a run's re-runs: why each layer that was not reused ran, kept for ``why --last``.

Reasons are worked out while the run is planned (the inputs of every key are at hand then)
and stored with the run, one record per scope (the set of layers: align, optimize, report),
so ``why`` can tell what the last run did instead of what a run would do now. A run served
whole by the no-change path re-ran nothing and records nothing but its run row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lockgate.errors import LockgateError
from lockgate.keys.plan import SUITE_LAYER, Planned
from lockgate.pipeline.runner import Runner
from lockgate.store.store import NewResult, Store
from lockgate.why.reasons import CLEARED, NO_STORE, Now, Reason, compared

LOAD = "its verdict depends on the machine's load (a timeout or a lost process)"
RACE = "an input changed while it ran"
READ_ONLY = "the store could not be written"
ESCAPED = "the work tree itself changed while its run's tests and imports ran"


def explain_misses(
    runner: Runner,
    planned: list[Planned],
    env_items: dict[str, str],
    cleared: bool,
    scope: str,
) -> None:
    """Give every planned item that was not reused its reason (before anything runs)."""
    misses = [p for p in planned if p.result is None and p.reason is None]
    if not misses:
        return
    store = runner.store
    if store is None or cleared:
        for item in misses:
            item.reason = NO_STORE if store is None else CLEARED
        return
    latest = store.latest_of({(p.owner, p.layer) for p in misses})
    previous = store.reasons(scope)
    unstored: dict[str, dict[str, str]] = previous[1].get("unstored", {}) if previous else {}
    envs: dict[str, dict[str, str]] = {}

    def stored_env(digest: str) -> dict[str, str]:
        if digest not in envs:
            envs[digest] = store.environment(digest)
        return envs[digest]

    hasher = runner.ctx.hasher
    for item in misses:
        now = Now(
            hasher.hashes(item.inputs.files),
            item.inputs.config,
            runner.env_digest,
            env_items,
            runner.versions(item.layer),
        )
        why_not = unstored.get(item.owner, {}).get(item.layer)
        item.reason = compared(latest.get((item.owner, item.layer)), now, stored_env, why_not)


def attach(planned: list[Planned]) -> None:
    """Put each re-run layer's one-line reason on its result (reused results have none)."""
    for item in planned:
        if item.result is not None and not item.result.cached:
            item.result.reason = (item.reason or Reason("no stored result")).summary()


def record(
    planned: list[Planned],
    results: list[NewResult],
    layers: tuple[str, ...],
    writable: bool,
    escaped: bool = False,
) -> dict[str, Any]:
    """The record of this run: its layers and owners, the reason of every re-run layer, and
    why a re-run's result was not stored (which the next run names as its reason);
    ``escaped``: the work tree changed while the run's processes ran."""
    kept = {r.key for r in results}
    reran: dict[str, dict[str, Any]] = {}
    unstored: dict[str, dict[str, str]] = {}
    for item in planned:
        assert item.result is not None
        if item.result.cached:
            continue
        reran.setdefault(item.owner, {})[item.layer] = (
            item.reason or Reason("no stored result")
        ).to_json()
        if item.key not in kept:
            why = RACE if writable else READ_ONLY
            if not item.result.keep:  # a run that changed the work tree keeps nothing
                why = ESCAPED if escaped else item.result.unkept or LOAD
            unstored.setdefault(item.owner, {})[item.layer] = why
    features = list(dict.fromkeys(p.owner for p in planned if p.layer != SUITE_LAYER))
    suite = [p.owner for p in planned if p.layer == SUITE_LAYER]
    return {
        "layers": list(layers),
        "features": features,
        "suite": suite,
        "reran": reran,
        "unstored": unstored,
    }


@dataclass
class LastRun:
    """What the last stored run did: when, which command, and per owner the reasons of the
    layers it re-ran (layers not listed were reused)."""

    command: str
    started: float
    hits: int
    misses: int
    seconds: float
    layers: list[str]
    features: list[str]
    suite: list[str]  # test files of no feature (their one layer is ``suite``)
    reran: dict[str, dict[str, Reason]]


def last_run(store: Store) -> LastRun:
    """The last run recorded in ``store`` with its reasons; a LockgateError when there is none
    or its reasons were not recorded."""
    run = store.last_run()
    if run is None:
        raise LockgateError("the store records no run yet; run `lockgate align` first")
    ident, started, command, hits, misses, seconds, scope = run
    found = store.reasons(scope) if scope is not None else None
    if found is None or (found[0] != ident and misses):
        raise LockgateError(
            f"the last run ({command}) left no record of why its layers re-ran "
            "(made by an older lockgate, or the record was removed); run `lockgate align`"
        )
    run_id, data = found
    reran: dict[str, dict[str, Reason]] = {}
    if run_id == ident:  # else it was served whole from the store: everything was reused
        reran = {
            owner: {layer: Reason.from_json(r) for layer, r in layers.items()}
            for owner, layers in data["reran"].items()
        }
    return LastRun(
        command,
        started,
        hits,
        misses,
        seconds,
        data["layers"],
        data["features"],
        data["suite"],
        reran,
    )
