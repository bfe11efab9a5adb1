"""Recording: what a run gives the store and the remote, once every layer has a result.

A fresh result is stored only when none of its inputs moved while it ran; a remote entry that
was reused is copied into the local store; what this run validated itself is published.
"""

from __future__ import annotations

import dataclasses
import posixpath
import time

from lockgate.keys.extras import BLOCKS, Extras, extra_file, fact_names
from lockgate.keys.hashing import FileHasher
from lockgate.keys.plan import SUITE_LAYER, Planned, versions
from lockgate.keys.reuse import Reuser, marks_of
from lockgate.layers.base import Context
from lockgate.model import SuiteResult
from lockgate.remote.entry import Entry
from lockgate.store.store import NewResult, Stored


def unchanged(ctx: Context, item: Planned, fresh: FileHasher) -> bool:
    """True when the item's inputs hash now as they did when it was planned."""
    return not moved(ctx, item, fresh)


def moved(ctx: Context, item: Planned, fresh: FileHasher) -> list[str]:
    """The item's inputs (static, and loaded at run time) that do not hash now as they did
    when it was planned."""
    files = item.inputs.files | {f for p in item.extras if (f := extra_file(p)) is not None}
    return sorted(p for p in files if fresh.moved(p, ctx.hasher))


def moved_during(ctx: Context, planned: list[Planned]) -> list[str]:
    """The files that moved while this run validated the results that read them: those fresh
    results are not stored, and a deploy must not count them either (issue 20)."""
    fresh = FileHasher(ctx.project.root, {})
    fresh.trust(ctx.hasher)
    found: set[str] = set()
    for item in planned:
        if item.result is not None and not item.result.cached:
            found.update(p for p in moved(ctx, item, fresh) if "\0" not in p)
    return sorted(found)


def new_results(ctx: Context, env_digest: str, planned: list[Planned]) -> list[NewResult]:
    """Results to store: every miss whose inputs did not move while it ran."""
    fresh = FileHasher(ctx.project.root, {})
    fresh.trust(ctx.hasher)
    out = []
    for item in planned:
        assert item.result is not None
        if item.result.cached or not item.result.keep or not unchanged(ctx, item, fresh):
            continue
        hashes = ctx.hasher.hashes(item.inputs.files)
        out.append(
            NewResult(
                key=item.key,
                layer=item.layer,
                feature=item.owner,
                passed=item.result.passed,
                detail=item.result.detail,
                seconds=item.result.seconds,
                extras=item.extras,
                inputs={
                    "files": hashes,
                    "config": item.inputs.config,
                    "env": env_digest,
                    "versions": versions(item.layer),
                },
                marks=marks_of(item.result),
            )
        )
    return out


def copies(reuser: Reuser) -> tuple[list[NewResult], dict[str, str]]:
    """The remote entries this run reused, with their facts, for the local store.

    Only reused ones: an entry that failed the reuse check was run again, and its fresh
    result, stored under the same key, is the newest there, not it."""
    entries = [reuser.served[k] for k in sorted(reuser.served)]
    facts = {k: v for e in entries for k, v in e.facts.items()}
    return [e.result for e in entries], facts


def older(reuser: Reuser, planned: list[Planned]) -> list[tuple[str, str]]:
    """(key, variant) of the local results this run reused that were not their key's newest
    (a reverted edit's): they become the newest, so that the store evicts what went unused."""
    return [
        (p.key, reuser.older[p.key])
        for p in planned
        if p.key in reuser.older and p.result is not None and p.result.cached
    ]


def entries(results: list[NewResult], extras: Extras) -> list[Entry]:
    """Remote entries for results this run validated: each with the facts it needs."""
    now = time.time()
    out = []
    for result in results:
        facts = {n: extras.fact(n) for n in fact_names(result.extras)}
        out.append(Entry(dataclasses.replace(result, created=now), facts))
    return out


def suite_results(planned: list[Planned]) -> list[SuiteResult]:
    """The verdicts of test files that belong to no feature."""
    return [
        SuiteResult(
            p.owner,
            r.passed,
            r.detail,
            r.cached,
            r.seconds,
            load_dependent=r.load_dependent,
            flaky=r.flaky,
            expires=r.expires,
        )
        for p in planned
        if p.layer == SUITE_LAYER and (r := p.result) is not None
    ]


def depended_on(
    ctx: Context, planned: list[Planned], stored: dict[str, Stored]
) -> dict[str, str | None]:
    """Every project file a result of this run depends on → its hash (None when absent).

    Static inputs of every planned item plus the files it loaded at run time: fresh extras for
    results that ran, the stored ones (checked unchanged on reuse) for results that were reused.
    Pseudo-inputs (names with a NUL), absolute paths and paths climbing out of the root are not
    project files and are left out.
    """
    found: dict[str, str | None] = {}
    for item in planned:
        extras = item.extras
        if item.result is not None and item.result.cached and item.key in stored:
            extras = stored[item.key].extras
        for path in item.inputs.files:
            if _project_file(path) and path not in found:
                found[path] = ctx.hasher.hash(path)
        for path, value in extras.items():
            if BLOCKS in path:  # validated for the blocks it ran: what ships is what it saw now
                path = path.partition(BLOCKS)[0]
                value = ctx.hasher.hash(path)
            if _project_file(path):
                found.setdefault(path, value)
    return dict(sorted(found.items()))


def _project_file(path: str) -> bool:
    if "\0" in path or posixpath.isabs(path):
        return False
    normal = posixpath.normpath(path)
    return normal != ".." and not normal.startswith("../")
