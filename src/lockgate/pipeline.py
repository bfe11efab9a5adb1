"""align: the whole run as one function — the no-change fast path, else the full path.

Only what the fast path needs is imported up front: the full path (parsing, planning, the
configuration's pydantic models) costs about a third of a no-change run just to import.
"""

from __future__ import annotations

import time
from pathlib import Path

from lockgate import snapshot
from lockgate.model import AlignResult
from lockgate.options import Options
from lockgate.store import Store, store_dir


def align(root: Path, options: Options, layers: tuple[str, ...] | None = None) -> AlignResult:
    """Validate every feature of the project at ``root``, reusing every stored result it can.

    ``layers`` narrows the run (``optimize`` runs only the performance layer).
    """
    started = time.perf_counter()
    store = None
    if not (options.no_cache or options.clear_cache or options.retry_failed):
        folder = store_dir(root.resolve())
        if (folder / "store.sqlite").is_file():
            store = Store(folder)
            try:
                fast = _reuse_everything(root, store, options, layers, started)
            except BaseException:
                store.close()
                raise
            if fast is not None:
                store.close()
                return fast
    from lockgate.validation import align_fully

    # The store opened here goes on to the full path: its warnings (a store set aside, a
    # lock waited for) reach the user once, and a lock is not waited for twice.
    return align_fully(root, options, layers, started, store)


def _reuse_everything(
    root: Path, store: Store, options: Options, layers: tuple[str, ...] | None, started: float
) -> AlignResult | None:
    """The no-change fast path (see :mod:`lockgate.snapshot`)."""
    found = snapshot.reuse(root.resolve(), store, layers)
    if found is None:
        return None
    result, saved = found
    result.warnings = list(store.warnings)
    result.seconds = round(time.perf_counter() - started, 3)
    store.record_run(options.command, result.hits, 0, result.seconds, saved, result.mean_score)
    return result
