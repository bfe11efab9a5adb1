"""``--shard auto``: the jobs of one run take groups of work from a queue in the remote
(remote/queue.py), longest first, until none is left; see docs/design.md, "--shard auto"."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from lockgate.errors import LockgateError
from lockgate.keys.hashing import digest
from lockgate.pipeline.shard import Group
from lockgate.remote.queue import WorkQueue

LEASE_ENV = "LOCKGATE_SHARD_LEASE"  # seconds a claim holds unless renewed (tests shorten it)
LEASE = 60.0
# The run id each CI gives all the jobs of one run (a retried run is a new one)
RUN_ID_ENV = (
    ("GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT"),
    ("CI_PIPELINE_ID",),
    ("BUILDKITE_BUILD_ID",),
    ("CIRCLE_WORKFLOW_ID",),
)


@dataclass(frozen=True)
class Job:
    """One job of a ``--shard auto`` run: the remote's queues, and the run it belongs to."""

    queue: WorkQueue
    run: str


def run_id(given: str | None, env: Mapping[str, str] = os.environ) -> str:
    """``--run-id``, else the CI's run id; none is one line for the user."""
    if given is not None:
        if not given.strip():
            raise LockgateError("--run-id needs a value")
        return given
    for names in RUN_ID_ENV:
        if env.get(names[0]):
            return "-".join(env[n] for n in names if env.get(n))
    known = ", ".join(n[0] for n in RUN_ID_ENV)
    raise LockgateError(
        f"--shard auto needs the id its jobs share: --run-id ID, or one of {known} set"
    )


def lease(env: Mapping[str, str] = os.environ) -> float:
    """The lease, in seconds: ``LOCKGATE_SHARD_LEASE`` or a minute."""
    text = env.get(LEASE_ENV)
    if text is None:
        return LEASE
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < 86400:
        raise LockgateError(f"{LEASE_ENV}={text!r}: expected seconds, more than 0")
    return value


def queue_name(run: str, groups: list[Group]) -> str:
    """The queue of ``run``'s work: jobs that see the same groups share it; a job that sees
    other groups (another commit under the same id) never takes theirs."""
    leads = "\n".join(sorted(g.lead for g in groups))
    return digest(f"{run}\n{leads}".encode())[:32]


def claim_all(
    queue: WorkQueue,
    ordered: list[Group],
    run: Callable[[Group], None],
) -> list[Group]:
    """Queue ``ordered`` (unless a job of the run did), then claim and ``run`` groups until
    every one is done; returns the groups this job ran. While others hold leases, wait: a
    lease that expires (its job died) is claimed again here."""
    by_lead = {g.lead: g for g in ordered}
    queue.fill([g.lead for g in ordered])
    mine: list[Group] = []
    while True:
        claim = queue.claim()
        if claim.group is None:
            if not claim.wait:
                return mine
            time.sleep(min(claim.wait, queue.lease))
            continue
        group = by_lead.get(claim.group)
        if group is None:  # the name hashes the groups: only a queue altered by hand
            raise LockgateError(
                f"--shard auto: the queue holds {claim.group!r}, which is no work of this run"
            )
        with _renewing(queue, claim.group):
            run(group)
        queue.done(claim.group)
        mine.append(group)


@contextmanager
def _renewing(queue: WorkQueue, group: str) -> Iterator[None]:
    """Renew the lease on ``group`` three times a lease while the body runs."""
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(queue.lease / 3):
            try:
                queue.renew(group)
            except LockgateError:
                return  # the next claim says what failed

    thread = threading.Thread(target=renew, name="lockgate-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
