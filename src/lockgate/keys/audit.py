"""Audit mode: a seeded part of the results a run would serve runs again in the same run,
and a stored result that its fresh run contradicts is a *mismatch* (see "Audit mode" in
docs/design.md).

Which runs audit and which part is keys/audit_window.py's: at fraction f, one run in about
``ceil(1/f) / parts`` re-runs ``1/parts`` of the served results (by a hash of each one's key,
owner and layer), and every served result is audited within ``ceil(1/f)`` consecutive runs.
"""

from __future__ import annotations

from lockgate.keys import audit_window
from lockgate.keys.extras import BLOCKS, PROBE_SET
from lockgate.keys.hashing import LISTING, FileHasher
from lockgate.keys.plan import Planned
from lockgate.keys.reuse import RECHECK_PASSED
from lockgate.layers import optimized
from lockgate.model import Audit, LayerResult, Mismatch
from lockgate.store.store import Stored
from lockgate.why.reasons import Reason

AUDITED = "audited"  # the start of every audited result's reason
SHOWN_INPUTS = 8  # inputs named in a mismatch's warning line; the rest are counted


def warning(found: Mismatch) -> str:
    """The warning line of a mismatch: which result, both verdicts, its recorded inputs."""
    shown = ", ".join(found.inputs[:SHOWN_INPUTS])
    more = len(found.inputs) - SHOWN_INPUTS
    if more > 0:
        shown += f" (+{more} more)"
    return (
        f"audit: {found.owner} ({found.layer}): the stored result was wrong — "
        f"stored: {_verdict(found.stored)}; fresh: {_verdict(found.fresh)}; its recorded "
        f"inputs: {shown or 'none'}. lockgate's keys missed an input of it (one no "
        "observer sees); the fresh result is used and stored in its place"
    )


def auditable(item: Planned) -> bool:
    """A served result whose fresh run must say the same: not a measurement (the performance
    layer's detail is a timing, which no two runs share; it expires by ``ttl`` instead)."""
    result = item.result
    return result is not None and result.cached and item.layer != optimized.NAME


def sample(planned: list[Planned], fraction: float, seed: int) -> list[Planned]:
    """The served results run ``seed`` audits at ``fraction``: its part, if it is due."""
    due = audit_window.part_due(fraction, seed) if fraction > 0 else None
    if due is None:
        return []
    return [
        p
        for p in planned
        if auditable(p) and audit_window.part_of(p.key, p.owner, p.layer, fraction) == due
    ]


def recorded(item: Planned, extras: dict[str, str | None], hasher: FileHasher) -> list[str]:
    """The inputs a stored result recorded, as a user reads them: the files of its key and
    the files its run observed, those that exist first, then the folders it listed and the
    sets of files an import looked for."""
    files = set(item.inputs.files)
    other = []
    for name in extras:
        if name.startswith(PROBE_SET):
            other.append("a set of files an import looked for")
        elif name.endswith(LISTING):
            other.append(f"{name[: -len(LISTING)] or '.'} (listing)")
        else:
            files.add(name.partition(BLOCKS)[0])
    ordered = sorted(files, key=lambda p: (hasher.hash(p) is None, p))
    return list(dict.fromkeys([*ordered, *sorted(other)]))


def start(planned: list[Planned], fraction: float, seed: int) -> Audit:
    """Turn the sampled served results into misses that remember what was stored."""
    audit = audit_window.plan(fraction, seed)
    for item in sample(planned, fraction, seed):
        item.audited, item.result = item.result, None
        item.reason = Reason(f"{AUDITED} (seed {seed}): run again to check the stored result")
        audit.sampled += 1
    return audit


def settle(
    audit: Audit, planned: list[Planned], stored: dict[str, Stored], hasher: FileHasher
) -> None:
    """Compare each audited result's fresh run with what was ``stored`` under its key."""
    for item in planned:
        was, fresh = item.audited, item.result
        if was is None or fresh is None:
            continue
        if (was.passed, _found(was.detail)) == (fresh.passed, _found(fresh.detail)):
            item.reason = Reason(f"{AUDITED} (seed {audit.seed}): the stored result held")
            continue
        held = stored.get(item.key)
        inputs = recorded(item, held.extras if held is not None else {}, hasher)
        found = Mismatch(item.owner, item.layer, item.key, was, fresh, inputs)
        audit.mismatches.append(found)
        fresh.audit_mismatch = True
        item.reason = Reason(
            f"{AUDITED} (seed {audit.seed}): the stored result was wrong — stored: "
            f"{_verdict(was)}; fresh: {_verdict(fresh)}"
        )


def _found(detail: str) -> str:
    # the note a re-checked failure that passed carries is not part of what its run found
    return detail.removesuffix(RECHECK_PASSED)


def _verdict(result: LayerResult) -> str:
    said = "passed" if result.passed else "failed"
    return f"{said} ({result.detail})" if result.detail else said
