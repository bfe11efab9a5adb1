"""Audit mode: a seeded share of the results a run would serve runs again in the same run,
and a stored result that its fresh run contradicts is a *mismatch* (see "Audit mode" in
docs/design.md).

The sample is a window on a fixed order of the served results (by a hash of each result's
key, owner and layer, so unrelated to what the results are about), and run number ``seed``
takes the share ``[f·n·seed, f·n·(seed + 1))`` of it. Runs with consecutive seeds (the
store numbers its runs) tile the order: every served result is audited within
``ceil((n + 1) / (f·n))`` runs, and no run audits more than ``floor(f·n) + 1`` of them.
"""

from __future__ import annotations

import math

from lockgate.keys.extras import BLOCKS, PROBE_SET
from lockgate.keys.hashing import LISTING, FileHasher, digest
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
    """The served results run ``seed`` audits at ``fraction`` (see the module docstring)."""
    ring = sorted(
        (p for p in planned if auditable(p)),
        key=lambda p: digest(f"{p.key}\0{p.owner}\0{p.layer}".encode()),
    )
    if not ring or fraction <= 0:
        return []
    share = fraction * len(ring)
    start, end = math.floor(share * seed), math.floor(share * (seed + 1))
    chosen = {(start + i) % len(ring) for i in range(min(end - start, len(ring)))}
    return [ring[i] for i in sorted(chosen)]


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
    audit = Audit(fraction, seed)
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
