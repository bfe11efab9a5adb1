"""One run's four stages, in order: plan every (feature, layer) and its key, reuse what the
store holds for each key, execute the rest, record the fresh results.

Each stage lives where a reader looks for it: keys and plans in :mod:`lockgate.keys.plan`,
extras in :mod:`lockgate.keys.extras`, the reuse check in :mod:`lockgate.keys.reuse`, run-time
test owners in :mod:`lockgate.keys.owners`, running in :mod:`lockgate.execution.execute` (each
layer's ``RUNS_IN`` says where it runs), recording in :mod:`lockgate.pipeline.record`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from lockgate.execution import balance
from lockgate.execution.balance import DURATIONS
from lockgate.execution.execute import Executor
from lockgate.execution.reaper import bytecode_cache
from lockgate.execution.sandbox import Sandbox
from lockgate.keys import audit
from lockgate.keys.extras import Extras
from lockgate.keys.owners import Owners
from lockgate.keys.plan import Planned, Planner, versions
from lockgate.keys.reuse import Reuser, settle_rechecks
from lockgate.layers.base import Context
from lockgate.model import LAYERS, Audit, Feature
from lockgate.pipeline import record
from lockgate.remote.client import Remote
from lockgate.remote.entry import Entry
from lockgate.report.progress import Progress
from lockgate.store.store import NewResult, Store, Stored

if TYPE_CHECKING:  # distributed is an optional extra
    from lockgate.execution.dask_pool import DaskPool


class Runner:
    """Executes one plan against one store (or none)."""

    def __init__(
        self,
        ctx: Context,
        store: Store | None,
        env_digest: str,
        retry_failed: bool,
        jobs: int,
        progress: Progress,
        layers: tuple[str, ...] = LAYERS,
        remote: Remote | None = None,
        pool: DaskPool | None = None,
    ) -> None:
        self.ctx = ctx
        self.store = store
        self.env_digest = env_digest
        self.layers = layers
        project = ctx.project
        # Built only when something must run: the no-change path never pays for it.
        self.sandbox = Sandbox(
            project.root,
            [*project.python_files, *project.native_files],
            own=[store.folder] if store is not None else [],
        )
        self.planner = Planner(ctx, env_digest, layers)
        self.extras = Extras(ctx, self.sandbox)
        self.reuser = Reuser(ctx, store, self.extras, retry_failed, remote)
        self.owners = Owners(ctx, store, self.planner, self.extras, self.reuser, remote)
        pycache = bytecode_cache() if store is not None else None
        self.executor = Executor(
            ctx, self.extras, self.owners, self.sandbox, jobs, progress, pycache
        )
        if store is not None:
            found = store.facts([DURATIONS]).get(DURATIONS)
            self.executor.durations.update(balance.parse(found))
        if pool is not None:
            pool.attach(self.sandbox, project)
            self.executor.pool = pool

    # the layer's and lockgate's versions, which `why` compares with a stored result's
    versions = staticmethod(versions)

    # -- plan: each feature's test files (keys/owners.py), then inputs → key (keys/plan.py)

    def attribute(self) -> list[str]:
        """Settle each feature's test files from the tree and from what each test file did
        with its current inputs; returns the test files not known yet (see :meth:`settle`)."""
        return self.owners.attribute()

    def settle(self, unknown: list[str]) -> None:
        """Run the test files whose run is not known with their current inputs, so that every
        feature's test files are known before anything is planned (their outcomes serve the
        tested layers that read them)."""
        if not unknown:
            return
        # Whatever a key may hash, the sandbox holds: every input of the plan as it stands
        # (each feature's test files can only be among the project's test files).
        self.executor.include(self.planner.plan())
        batch = self.executor.run_first(unknown)
        self.owners.record(batch)
        self.owners.settle()

    def plan(self) -> list[Planned]:
        """Inputs and key for every (feature, layer), and every test file of no feature."""
        return self.planner.plan()

    def plan_feature(self, feature: Feature) -> list[Planned]:
        """Inputs and key for every layer of one feature."""
        return self.planner.plan_feature(feature)

    def plan_suite(self, test: str) -> Planned:
        """Inputs and key of one test file of no feature."""
        return self.planner.plan_suite(test)

    # -- reuse: the stored result of a key, unless it moved (keys/reuse.py) --------------

    def reuse(self, planned: list[Planned]) -> dict[str, Stored]:
        """Fill in every reusable stored result; returns what the store held for the keys."""
        return self.reuser.reuse(planned)

    def recheck(self, planned: list[Planned], counts: Callable[[Planned], bool]) -> None:
        """Run again, once, every reused failure that ``counts`` (one a deploy gate would
        block on)."""
        self.reuser.recheck(planned, counts)

    def audit(self, planned: list[Planned], fraction: float, seed: int) -> Audit:
        """Turn run ``seed``'s ``fraction`` of the served results into misses that remember
        what was stored (keys/audit.py); :meth:`execute` then compares."""
        found = audit.start(planned, fraction, seed)
        # not served: the remote's copy must not be written over the fresh result
        audited = {p.key for p in planned if p.audited is not None}
        self.reuser.served = {k: e for k, e in self.reuser.served.items() if k not in audited}
        return found

    def narrow(self, planned: list[Planned]) -> None:
        """Count as served by the remote only what ``planned`` (a shard's part) reused."""
        keys = {p.key for p in planned}
        self.reuser.served = {k: e for k, e in self.reuser.served.items() if k in keys}

    # -- execute: the misses, each where its layer runs (execution/execute.py) ----------

    def execute(self, planned: list[Planned]) -> None:
        """Run every layer that was not reused; a re-checked failure that passed is flaky."""
        self.executor.execute(planned)
        settle_rechecks(planned)

    @property
    def warnings(self) -> list[str]:
        """For the user, beside the store's: verdicts that depend on files git ignores."""
        return self.extras.warnings

    @property
    def dropped(self) -> bool:
        """Whether the work tree changed during the run beyond what keys hash, so that no fresh
        result of the run is stored."""
        return self.executor.dropped

    # -- record: what the store and the remote get (pipeline/record.py) ----------------

    def new_results(self, planned: list[Planned]) -> list[NewResult]:
        """Results to store: every miss whose inputs did not move while it ran."""
        return record.new_results(self.ctx, self.env_digest, planned)

    def new_facts(self) -> dict[str, str]:
        """The facts this run's results refer to, and what test files imported at run time."""
        durations = {DURATIONS: balance.dump(self.executor.durations)}
        return {**self.extras.new_facts(), **self.owners.facts, **durations}

    def copies(self) -> tuple[list[NewResult], dict[str, str]]:
        """The remote entries this run reused, with their facts, for the local store."""
        return record.copies(self.reuser)

    def older(self, planned: list[Planned]) -> list[tuple[str, str]]:
        """(key, variant) of the local results reused that were not their key's newest."""
        return record.older(self.reuser, planned)

    def entries(self, results: list[NewResult]) -> list[Entry]:
        """Remote entries for results this run validated, each with the facts it needs, and
        for the records of test files it made."""
        return [*record.entries(results, self.extras), *self.owners.entries()]

    @property
    def remote_hits(self) -> int:
        """How many results the remote served."""
        return len(self.reuser.served)
