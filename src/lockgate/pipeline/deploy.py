"""deploy: align, gate and package the committed project, then commit it on the deploy branch.

Top-down: check the repository, align and inspect what would ship (sharing one remote), run
the gates, generate the package's files, then commit and write ``--out`` unless a gate blocks
or it is a dry run. :func:`judge` runs the same gates without packaging (``lockgate report``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from lockgate import git
from lockgate.commands.options import Options
from lockgate.deploy.gates import GateResult, blocking, run_gates
from lockgate.deploy.package.commit import commit, finish
from lockgate.deploy.package.inspect import Package, committed, inspect, work_tree
from lockgate.deploy.package.out import check_out_path, write_out
from lockgate.errors import LockgateError
from lockgate.model import AlignResult
from lockgate.pipeline import history
from lockgate.pipeline.align import align
from lockgate.policy import newcode
from lockgate.policy.newcode import Since
from lockgate.project import config
from lockgate.project.config import Config
from lockgate.remote.client import Remote
from lockgate.remote.settings import resolve
from lockgate.store.store import Store, store_dir

__all__ = ["Deployment", "Judged", "deploy", "judge"]


@dataclass
class Deployment:
    """What one deploy did: the run, the gates, the package, and what became of it."""

    result: AlignResult
    gates: list[GateResult]
    package: Package
    branch: str
    dry_run: bool
    made: str | None = None  # the deploy branch's commit, None when nothing was committed
    written: str | None = None  # the --out path, once written
    unchanged: bool = False  # the branch already held this package: no new commit
    failed: LockgateError | None = None  # committing or writing --out failed

    @property
    def blocked(self) -> bool:
        """A gate of severity ``error`` failed: nothing was written."""
        return blocking(self.gates)


@dataclass(frozen=True)
class Judged:
    """A run and the gates as a deploy would judge HEAD; ``gates`` None when there is no HEAD
    to judge (``note`` says why) or the package could not be read."""

    result: AlignResult
    config: Config
    commit: str | None
    gates: list[GateResult] | None
    note: str


def deploy(
    root: Path,
    options: Options,
    branch: str | None,
    out: Path | None,
    dry_run: bool,
    allow_dirty: bool,
) -> Deployment:
    """Validate, gate and package the project at ``root``; commit the package on ``branch``
    (default: ``deploy.branch``) and write it to ``out``, unless blocked or ``dry_run``."""
    cfg = config.load(root).config
    branch = branch or cfg.deploy.branch
    out = out.resolve() if out is not None else None
    _check_repository(root, branch, allow_dirty)
    if out is not None:
        check_out_path(out)
    base = git.head(root)  # before align: what ships is what was committed when we started
    since = newcode.resolve(root, options.since, cfg.gate)  # a bad REF fails before align
    result, package = _validate(root, cfg, options, base, allow_dirty)
    gates = run_gates(result, cfg, package.evidence, _scored(root, since))
    finish(package, result, gates)
    done = Deployment(result, gates, package, branch, dry_run)
    if not done.blocked and not dry_run:
        _ship(root, done, out)
    return done


def _validate(
    root: Path, cfg: Config, options: Options, base: str, allow_dirty: bool
) -> tuple[AlignResult, Package]:
    """Align, then inspect what would ship, with one remote for the layers and the secret
    scans: one that is down costs one timeout."""
    # A stored failure a gate would block on runs again once first: one that failed under
    # load must not block every deploy of an unchanged tree (docs/design.md)
    options = replace(options, recheck_failures=True)
    wanted = resolve(options.remote, options.no_remote, cfg.remote)
    remote = Remote(wanted) if wanted is not None and not options.no_cache else None
    try:
        result = align(root, options, remote=remote)
        seen = len(remote.warnings) if remote is not None else 0
        # With --allow-dirty the work tree was validated, so the work tree is what ships.
        source = work_tree(root, base, result.inputs) if allow_dirty else committed(root, base)
        with _store(root, options) as store:
            package = inspect(root, cfg, source, options.jobs, store, remote)
        if remote is not None:
            result.warnings += remote.warnings[seen:]
    finally:
        if remote is not None:
            remote.close()
    return result, package


@contextmanager
def _store(root: Path, options: Options) -> Iterator[Store | None]:
    """The project's store, closed after use; None with --no-cache."""
    store = None if options.no_cache else Store(store_dir(root))
    try:
        yield store
    finally:
        if store is not None:
            store.close()


def _ship(root: Path, done: Deployment, out: Path | None) -> None:
    """Commit the package on the branch, then write ``out``; a failure is kept, not raised,
    so that what was validated and gated is reported first."""
    previous = git.branch_commit(root, done.branch)
    try:
        done.made = commit(root, done.package, done.branch)
        # Only once the branch holds the package: a failed deploy writes no --out either.
        if out is not None:
            write_out(root, done.package, out)
    except LockgateError as exc:
        done.failed = exc
    done.unchanged = done.made is not None and done.made == previous
    if out is not None and done.made and not done.failed:
        done.written = str(out)


def _check_repository(root: Path, branch: str, allow_dirty: bool) -> None:
    git.require_toplevel(root)
    git.head(root)  # a repository without commits gets one clear line, before git's own words
    git.check_branch_name(root, branch)
    if git.current_branch(root) == branch:
        raise LockgateError(
            f"branch {branch} is checked out here; deploy to another branch "
            "(--branch or [tool.lockgate.deploy] branch)"
        )
    elsewhere = git.worktree_branches(root).get(branch)
    if elsewhere is not None:
        # Moving it would change what that work tree shows under its feet, as git branch -f
        # refuses to.
        raise LockgateError(
            f"branch {branch} is checked out in the work tree {elsewhere}; deploy to another "
            "branch (--branch or [tool.lockgate.deploy] branch) or remove that work tree"
        )
    if not allow_dirty and git.is_dirty(root):
        raise LockgateError(
            "tracked files have uncommitted changes; commit or stash them, or pass "
            "--allow-dirty to deploy the work tree as validated"
        )


def judge(root: Path, options: Options, layers: tuple[str, ...]) -> Judged:
    """Align ``layers``, and run the gates on HEAD as a deploy would, packaging nothing."""
    cfg = config.load(root).config
    head, note = _head(root)  # before align, as deploy does: gates judge this commit
    since = newcode.resolve(root, options.since, cfg.gate) if head is not None else None
    result = align(root, options, layers=layers)
    gates = None
    if head is not None:
        with _store(root, options) as store:
            try:
                package = inspect(root, cfg, head, options.jobs, store)
            except LockgateError as exc:
                note = str(exc)
            else:
                gates = run_gates(result, cfg, package.evidence, _scored(root, since))
    return Judged(result, cfg, head, gates, note)


def _scored(root: Path, since: Since | None) -> Since | None:
    """The new-code gate's baseline with its scores, read after align recorded this run's
    (REF may be HEAD itself)."""
    return None if since is None else newcode.with_scores(since, history.points(root))


def _head(root: Path) -> tuple[str | None, str]:
    """The commit the gates judge, or None and why there is none."""
    try:
        git.require_toplevel(root)
        head = git.head(root)
        dirty = git.is_dirty(root)
    except LockgateError as exc:
        return None, str(exc)
    note = f"As lockgate deploy would judge commit {head[:12]}."
    if dirty:
        note += (
            " Tracked files have uncommitted changes: integration and tests judge the work tree,"
            " version, purity and mocks the commit."
        )
    return head, note
