"""``--shard auto``: the jobs of one run take groups of work from a queue in the remote
(remote/queue.py), longest first, until none is left; see docs/design.md, "--shard auto"."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from lockgate.errors import LockgateError
from lockgate.keys.hashing import digest
from lockgate.pipeline.schedule import LARGEST, SHARE, SMALLEST
from lockgate.pipeline.shard import Group
from lockgate.remote.queue import WorkQueue

LEASE_ENV = "LOCKGATE_SHARD_LEASE"  # seconds a claim holds unless renewed (tests shorten it)
LEASE = 60.0
BATCH_ENV = "LOCKGATE_SHARD_BATCH"  # seconds of work a batch may always hold (0: one group)
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
    smallest: float = SMALLEST  # see pipeline/schedule.py: budget


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
    return _seconds(env, LEASE_ENV, LEASE, 0.0)


def smallest_batch(env: Mapping[str, str] = os.environ) -> float:
    """The seconds of work a batch may always hold: ``LOCKGATE_SHARD_BATCH`` or SMALLEST."""
    return _seconds(env, BATCH_ENV, SMALLEST, -1.0)


def _seconds(env: Mapping[str, str], name: str, default: float, above: float) -> float:
    text = env.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = above
    if not above < value < 86400:
        least = "more than 0" if above == 0 else "0 or more"
        raise LockgateError(f"{name}={text!r}: expected seconds, {least}")
    return value


def queue_name(run: str, groups: list[Group]) -> str:
    """The queue of ``run``'s work: jobs that see the same groups share it; a job that sees
    other groups (another commit under the same id) never takes theirs."""
    leads = "\n".join(sorted(g.lead for g in groups))
    return digest(f"{run}\n{leads}".encode())[:32]


def job_id() -> str:
    """This job, among the run's: counted once however often it claims."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim_all(job: Job, ordered: list[Group], run: Callable[[list[Group]], None]) -> list[Group]:
    """Queue ``ordered`` (unless a job of the run did), then claim and ``run`` batches of
    groups until every one is done; returns the groups this job ran. While others hold
    leases, wait: a lease that expires (its job died) is claimed again here."""
    queue = job.queue
    by_lead = {g.lead: g for g in ordered}
    queue.fill(job_id(), [(g.lead, g.seconds) for g in ordered])
    mine: list[Group] = []
    while True:
        claim = queue.claim(job.smallest, LARGEST, SHARE)
        if claim.batch is None:
            if not claim.wait:
                return mine
            time.sleep(min(claim.wait, queue.lease))
            continue
        unknown = [g for g in claim.groups if g not in by_lead]
        if unknown:  # the name hashes the groups: only a queue altered by hand
            raise LockgateError(
                f"--shard auto: the queue holds {unknown[0]!r}, which is no work of this run"
            )
        batch = [by_lead[g] for g in claim.groups]
        with _renewing(queue, claim.batch):
            run(batch)
        queue.done(claim.batch)
        mine += batch


@contextmanager
def _renewing(queue: WorkQueue, batch: str) -> Iterator[None]:
    """Renew the lease on ``batch`` three times a lease while the body runs."""
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(queue.lease / 3):
            try:
                queue.renew(batch)
            except LockgateError:
                return  # the next claim says what failed

    thread = threading.Thread(target=renew, name="lockgate-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
