"""align: the whole run as one function — the no-change fast path, else the full path.

Only what the fast path needs is imported up front: the full path (parsing, planning, the
configuration's pydantic models) costs about a third of a no-change run just to import.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING

from lockgate.commands.options import Options
from lockgate.keys import audit_window, snapshot
from lockgate.model import AlignResult, Audit
from lockgate.pipeline import history
from lockgate.policy import codeowners
from lockgate.remote.settings import RawWanted, Settings, resolve
from lockgate.report import progress
from lockgate.store.store import Store, store_dir
from lockgate.words import counted

if TYPE_CHECKING:
    from lockgate.remote.client import Remote


def align(
    root: Path,
    options: Options,
    layers: tuple[str, ...] | None = None,
    remote: Remote | None = None,
) -> AlignResult:
    """Validate every feature of the project at ``root``, reusing every stored result it can.

    ``layers`` narrows the run (``optimize`` runs only the performance layer). ``remote``, when
    the caller opened it (deploy, to read secret scans through it too), is used and left open.
    """
    result = _align(root, options, layers, remote)
    history.record(root, options, layers, result)  # the real scores, before any exemption
    return _with_policy(root, result)


def _with_policy(root: Path, result: AlignResult) -> AlignResult:
    """The run as the team's configuration views it: owners from CODEOWNERS, exemptions
    applied on today's date."""
    codeowners.assign(root, result)
    table = snapshot.raw_table(root) or {}
    if table.get("exempt"):
        # lazy: the configuration's models cost a no-change run ~0.1 s to import; only a
        # project that configures exemptions pays for them here
        from lockgate.policy.exemptions import apply_configured

        apply_configured(root, result)
    return result


def _align(
    root: Path, options: Options, layers: tuple[str, ...] | None, remote: Remote | None
) -> AlignResult:
    started = time.perf_counter()
    _check_remote(root, options)
    store = None
    # A shard reports its part only: the snapshot holds a whole result.
    if not (options.no_cache or options.clear_cache or options.retry_failed or options.shard):
        folder = store_dir(root.resolve())
        if (folder / "store.sqlite").is_file():
            store = Store(folder)
            try:
                # A run due to audit runs part of what would be served: the full path samples
                # it. Any other run with audit on is served as it would be without.
                fast = None
                usable, audit = _fast_path_audit(root, options, store)
                if usable:
                    fast = _reuse_everything(root, store, options, layers, started)
                if fast is not None:
                    fast.audit = audit
            except BaseException:
                store.close()
                raise
            if (
                fast is not None
                and options.recheck_failures
                and _worth_a_recheck(root, options, fast)
            ):
                fast = None  # the full path re-checks the failures that would block
            if fast is not None:
                store.close()
                reused = counted(fast.hits, "result")
                progress.say(
                    options.quiet or options.json,
                    f"nothing changed: reused {reused} in {fast.seconds:.2f}s",
                )
                return fast
        settings = _tree_remote(root, options)
        if settings is not None and remote is None:
            # lazy: the remote's client and backends, which a run without one never needs
            from lockgate.remote.client import Remote as Client

            # one client for the record and the full path: one count of what it refused
            with contextlib.closing(Client(settings)) as opened:
                return _from_remote_tree(root, options, layers, store, opened, started)
        if settings is not None:
            assert remote is not None
            return _from_remote_tree(root, options, layers, store, remote, started)
    return _fully(root, options, layers, started, store, remote)


def _fully(
    root: Path,
    options: Options,
    layers: tuple[str, ...] | None,
    started: float,
    store: Store | None,
    remote: Remote | None,
) -> AlignResult:
    # lazy: the full path's modules (parsing, planning, pydantic, the executors) take ~0.3 s
    # to import, and the no-change run that returned above needs none of them
    from lockgate.pipeline.validate import align_fully

    # The store opened here goes on to the full path: its warnings (a store set aside, a
    # lock waited for) reach the user once, and a lock is not waited for twice.
    return align_fully(root, options, layers, started, store, remote)


def _from_remote_tree(
    root: Path,
    options: Options,
    layers: tuple[str, ...] | None,
    store: Store | None,
    remote: Remote,
    started: float,
) -> AlignResult:
    """The remote's record of this tree when it serves, else the full path with ``remote``."""
    try:
        fast = _reuse_remote_tree(root, options, layers, store, remote, started)
    except BaseException:
        if store is not None:
            store.close()
        raise
    if fast is None:
        return _fully(root, options, layers, started, store, remote)
    reused = counted(fast.hits, "result")
    progress.say(
        options.quiet or options.json,
        f"validated before on this tree (the remote's record): reused {reused} "
        f"in {fast.seconds:.2f}s",
    )
    return fast


def _tree_remote(root: Path, options: Options) -> Settings | None:
    """The remote whose record of this tree a run may be served (see
    :func:`_reuse_remote_tree`): none with audit mode on (a due run samples what would be
    served)."""
    table = snapshot.raw_table(root) or {}
    fraction = options.audit if options.audit is not None else table.get("audit")
    if fraction is not None and fraction != 0:
        return None
    return resolve(options.remote, options.no_remote, RawWanted.of(table.get("remote")))


def _reuse_remote_tree(
    root: Path,
    options: Options,
    layers: tuple[str, ...] | None,
    store: Store | None,
    remote: Remote,
    started: float,
) -> AlignResult | None:
    """A checkout of a tree a run with this remote validated whole (a fresh clone, say): the
    remote's record of it, served when every file it names holds the same content here
    (lockgate.remote.tree), and kept as this checkout's snapshot; else None. Closes
    ``store`` when it serves."""
    wanted = snapshot.key(root, layers, local=False)
    found = remote.fetch_tree(wanted) if wanted is not None else None
    served = snapshot.reuse_record(root.resolve(), found) if found is not None else None
    if found is None or served is None:
        return None
    result, saved, files = served
    if options.recheck_failures and _worth_a_recheck(root, options, result):
        return None  # the full path re-checks the failures that would block
    own = store if store is not None else Store(store_dir(root.resolve()))
    try:
        snapshot.save_served(root.resolve(), own, layers, files, found)
        result.remote_hits = result.hits
        result.warnings = [*own.warnings, *remote.warnings, *result.warnings]
        _served_run(own, options, layers, result, saved, started)
    finally:
        own.close()
    return result


def _worth_a_recheck(root: Path, options: Options, served: AlignResult) -> bool:
    """Whether a deploy's full path would run one of ``served``'s failures again (one a gate
    would block on and a pass could lift): otherwise it would serve every result as stored,
    and ``served`` is its run. A codebase with legacy failures deploys unchanged this way."""
    if not _any_failure(served):
        return False
    # lazy: configuration and gate modules, which a no-change align never needs
    from lockgate.pipeline.recheck import any_worth_rechecking
    from lockgate.project import config

    cfg = config.load(root).config
    new_code = options.since is not None or cfg.gate == "new-code"
    return any_worth_rechecking(cfg, served, new_code)


def _any_failure(result: AlignResult) -> bool:
    """Whether a result holds a failed layer or test file (which a deploy may re-check)."""
    return any(not layer.passed for f in result.features for layer in f.layers.values()) or any(
        not s.passed for s in result.suite
    )


def _fast_path_audit(root: Path, options: Options, store: Store) -> tuple[bool, Audit | None]:
    """Whether the no-change path may serve this run as far as audit mode goes, and the
    audit it then reports (None without one): not when the run is due to audit, nor when the
    configuration's ``audit`` is no share this path can judge (the full path says why)."""
    fraction: object = options.audit
    if fraction is None:
        fraction = (snapshot.raw_table(root) or {}).get("audit")
    if fraction is None or fraction == 0:
        return True, None
    if isinstance(fraction, bool) or not isinstance(fraction, int | float):
        return False, None
    if not 0 < fraction <= 1:
        return False, None
    seed = options.audit_seed if options.audit_seed is not None else store.next_run()
    audit = audit_window.plan(float(fraction), seed)
    return audit.part is None, audit


def _check_remote(root: Path, options: Options) -> None:
    """Refuse a remote lockgate cannot use before the no-change path, which never reads the
    remote, can serve a run: a setting is refused on every run or on none."""
    table = snapshot.raw_table(root) or {}
    resolve(options.remote, options.no_remote, RawWanted.of(table.get("remote")))


def _reuse_everything(
    root: Path, store: Store, options: Options, layers: tuple[str, ...] | None, started: float
) -> AlignResult | None:
    """The no-change fast path (see :mod:`lockgate.keys.snapshot`)."""
    found = snapshot.reuse(root.resolve(), store, layers)
    if found is None:
        return None
    result, saved = found
    # a saved result has no store warning (it is not saved then), only the project's hints
    result.warnings = [*store.warnings, *result.warnings]
    _served_run(store, options, layers, result, saved, started)
    return result


def _served_run(
    store: Store,
    options: Options,
    layers: tuple[str, ...] | None,
    result: AlignResult,
    saved: float,
    started: float,
) -> None:
    """Time a run served whole (by a snapshot, local or the remote's record) and count it in
    the store's statistics, with the hits the remote served."""
    result.seconds = round(time.perf_counter() - started, 3)
    store.record_run(
        options.command,
        result.hits,
        0,
        result.seconds,
        saved,
        snapshot.scope(layers),
        result.mean_score,
        remote_hits=result.remote_hits,
    )
