"""Recording each whole run's scores under its commit, and reading them back.

Only a run that judged the integration layers of every feature, with the store, on a tracked
tree that equals its commit is recorded: otherwise the scores would be filed under a commit
they do not describe.
"""

from __future__ import annotations

import time
from pathlib import Path

from lockgate import git
from lockgate.commands.options import Options
from lockgate.errors import LockgateError
from lockgate.model import AlignResult
from lockgate.policy.history import Point, decode, encode, to_drop
from lockgate.store.store import Store, store_dir


def clean_commit(root: Path) -> str | None:
    """HEAD's commit when the tracked files equal it; None otherwise (no repository, no
    commit, uncommitted changes anywhere in the repository)."""
    try:
        commit = git.head(root)
        return None if git.is_dirty(root) else commit
    except LockgateError:
        return None


def record(
    root: Path, options: Options, layers: tuple[str, ...] | None, result: AlignResult
) -> None:
    """File the run's scores under HEAD (see the module's docstring for when)."""
    if options.no_cache or result.shard is not None or not result.features:
        return
    if layers is not None and "tested" not in layers:
        return  # optimize: performance alone
    commit = clean_commit(root)
    if commit is None:
        return
    store = Store(store_dir(root))
    try:
        now = time.time()
        drop = to_drop([*store.score_stamps(), (commit, now)], now)
        store.record_scores(commit, now, encode(result.features), [c for c in drop if c != commit])
        result.warnings += [w for w in store.warnings if w not in result.warnings]
    finally:
        store.close()


def points(root: Path) -> list[Point]:
    """Every readable score record of the project's store, oldest first."""
    folder = store_dir(root)
    if not (folder / "store.sqlite").is_file():
        return []
    store = Store(folder)
    try:
        rows = store.score_rows()
    finally:
        store.close()
    return [p for p in (decode(*row) for row in rows) if p is not None]
