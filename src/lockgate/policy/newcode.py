"""The new-code gate (``gate = "new-code"`` or ``--since REF``): the integration gate blocks a
feature that is new since REF and under the threshold, or whose score dropped since REF;
features that were there at REF and did not drop are reported, not blocking.

REF's scores are the score history's record of its commit (``pipeline/history.py``). A REF
without a record cannot be judged: the gate fails and says how to record one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lockgate import git
from lockgate.errors import LockgateError
from lockgate.model import AlignResult
from lockgate.policy.history import Point
from lockgate.words import counted

_SHOWN = 20


@dataclass(frozen=True)
class Since:
    """The commit new code is counted from, how it was named, and its recorded scores (None
    when the history has no record of it)."""

    label: str
    commit: str
    scores: dict[str, int] | None


def resolve(root: Path, ref: str | None, gate: str) -> Since | None:
    """The commit of the new-code gate's baseline, its scores not read yet; None when the
    gate judges all code. Raises LockgateError for a REF that names no commit."""
    if ref is None and gate != "new-code":
        return None
    if ref is not None:
        commit = git.resolve_commit(root, ref)
        if commit is None:
            raise LockgateError(f"--since {ref}: no such commit in this repository")
        label = ref
    else:
        branch = git.default_branch(root)
        if branch is None:
            raise LockgateError(
                'gate = "new-code": cannot tell the default branch (no origin/HEAD, main or '
                "master); pass --since REF"
            )
        found = git.merge_base(root, "HEAD", branch)
        if found is None:
            raise LockgateError(
                f'gate = "new-code": HEAD shares no history with {branch}; pass --since REF'
            )
        commit, label = found, f"merge-base with {branch}"
    return Since(label, commit, None)


def with_scores(since: Since, points: Sequence[Point]) -> Since:
    """``since`` with its commit's recorded scores, when the history has them."""
    record = next((p for p in reversed(points) if p.commit == since.commit), None)
    scores = None if record is None else {k: s for k, (s, _) in record.scores.items()}
    return Since(since.label, since.commit, scores)


def check(result: AlignResult, threshold: int, since: Since) -> tuple[bool, str]:
    """The integration gate on new code: new features under ``threshold`` and dropped scores
    block; the rest is counted as legacy."""
    where = f"{since.label} ({since.commit[:12]})"
    if since.scores is None:
        return False, (
            f"no recorded run of {where}, so nothing can be told new: run `lockgate align` "
            "on a clean checkout of that commit once (the store keeps its scores), or pass "
            "--since a commit that has one"
        )
    blocking, legacy = judged(result, threshold, since.scores)
    note = (
        f"; {counted(len(legacy), 'unchanged legacy feature')} under {threshold}, not blocking"
        if legacy
        else ""
    )
    if blocking:
        return False, f"new code since {where}: {_listing(blocking)}{note}"
    new = sum(f.feature.id not in since.scores for f in result.features if not f.feature.internal)
    return True, (
        f"new code since {where}: {counted(new, 'new feature')} at or above {threshold}, "
        f"no score dropped{note}"
    )


def judged(
    result: AlignResult, threshold: int, scores: dict[str, int]
) -> tuple[list[str], list[str]]:
    """(what blocks: new features under ``threshold`` and dropped scores, each described;
    the ids of the other features under ``threshold``: unchanged legacy), worst first."""
    blocking, legacy = [], []
    gated = [f for f in result.features if not f.feature.internal]
    for f in sorted(gated, key=lambda f: (f.score, f.feature.id)):
        before = scores.get(f.feature.id)
        if before is None and f.score < threshold:
            blocking.append(f"{f.feature.id} {f.score} (new, {threshold - f.score} under)")
        elif before is not None and f.score < before:
            blocking.append(f"{f.feature.id} {f.score} (dropped from {before})")
        elif f.score < threshold:
            legacy.append(f.feature.id)
    return blocking, legacy


def _listing(items: list[str]) -> str:
    shown = "; ".join(items[:_SHOWN])
    rest = len(items) - _SHOWN
    return f"{shown}; … and {rest} more" if rest > 0 else shown
