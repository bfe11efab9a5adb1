"""Running a run's units on a Dask cluster: ``--executor dask://HOST:PORT`` (extra
``lockgate[dask]``).

The units are the local ones: a module's import and construction probe, a chunk of test files;
each is one Dask task (:mod:`.dask_units`). The tree travels once per run, as one
content-addressed archive (:mod:`.tree`) scattered to every worker. What a task returns names
files as this machine does, and the executor judges, keys and stores it as a local unit's.
A worker that dies is Dask's to handle: its task runs again elsewhere. A scheduler that cannot
be reached, a worker in another environment, a task that fails are one line and exit 2.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import CancelledError
from functools import partial
from typing import Any

from lockgate.errors import LockgateError
from lockgate.execution import balance
from lockgate.execution.dask_address import Address, parse_executor
from lockgate.execution.dask_units import Done, Job, Refused, run_imports, run_tests
from lockgate.execution.sandbox import Sandbox
from lockgate.execution.testrun import Remote, Report
from lockgate.execution.tree import Tree, pack
from lockgate.execution.worker import ModuleOutcome, Request
from lockgate.layers import tested
from lockgate.project.project import Project


def open_pool(
    executor: str,
    insecure: bool,
    fingerprint: Mapping[str, str],
    bytecode: bool,
    fallback: bool = False,
) -> DaskPool | None:
    """The Dask cluster a run's units go to (``executor``: ``--executor``, else the
    configuration's), or None to run them here. A plain-TCP scheduler that is not on this
    machine is refused unless ``insecure``; nothing connects before the first unit, but with
    ``fallback``, which connects now and runs here (with a warning) when it cannot."""
    address = parse_executor(executor)
    if address is None:
        return None
    if address.plain and not address.loopback and not insecure:
        raise LockgateError(
            f"refusing the plain-TCP Dask scheduler {address.url}: a scheduler runs whatever it "
            "is sent, and plain TCP lets anyone on the network send it work or read the "
            "project; use dask+tls:// with distributed's TLS settings, or accept it with "
            "--executor-insecure (executor_insecure = true)"
        )
    pool = DaskPool(address, fingerprint, bytecode)
    if fallback:
        try:
            pool._client = _connect(address)
        except LockgateError as exc:
            print(f"lockgate: warning: {exc}; running here (--executor-fallback)", file=sys.stderr)
            return None
    return pool


_SENDS = 3  # times one unit is sent before the run gives up on the scheduler


class DaskPool:
    """One run's connection to a Dask scheduler, made when the first unit is sent."""

    def __init__(self, address: Address, fingerprint: Mapping[str, str], bytecode: bool) -> None:
        self.address = address
        self.fingerprint = tuple(sorted(fingerprint.items()))
        self.bytecode = bytecode
        self._lock = threading.Lock()  # imports and tests send their first units together
        self._client: Any = None
        self._tree: Any = None  # the scattered archive
        self._packed: Tree | None = None  # the archive, scattered again if Dask loses it
        self._job: Job | None = None
        self.sandbox: Sandbox | None = None
        self.project: Project | None = None

    def attach(self, sandbox: Sandbox, project: Project) -> None:
        """The run's sandbox (its manifest is the tree sent) and project."""
        self.sandbox, self.project = sandbox, project

    def modules(
        self, requests: Sequence[Request], on_done: Callable[[str], None]
    ) -> dict[str, ModuleOutcome]:
        """Each request's outcome: the modules cut into tasks as test files are
        (:func:`.balance.tasks`: each task builds one place and starts one zygote, so a
        thousand small modules are not a thousand of each)."""
        self._ready()
        threads = sum(self._client.nthreads().values()) or 1
        by_key = {r.key: r for r in requests}
        tasks = [[by_key[k] for k in t] for t in balance.tasks(list(by_key), threads, {})]

        def send(tree: Any, job: Job, i: int) -> Any:
            return self._client.submit(run_imports, tree, job, tasks[i], pure=False)

        out: dict[str, ModuleOutcome] = {}
        for i, done in self._each(send, len(tasks)):
            out.update(done.value)
            for request in tasks[i]:
                on_done(request.key)
        return out

    def chunks(self, modules: Sequence[str] | None, durations: Mapping[str, float]) -> Remote:
        """What a batch measuring ``modules`` runs its chunks with (:func:`.testrun.run_batch`),
        cut by what each file took last time (``durations``)."""
        return partial(self.tests, modules=modules, durations=durations)

    def tests(
        self,
        files: Sequence[str],
        report: Callable[[str], None],
        *,
        modules: Sequence[str] | None,
        durations: Mapping[str, float],
    ) -> list[Report]:
        """Each chunk's report, one task per chunk (:func:`.balance.tasks`: about equal time,
        two a worker, sent longest first and ahead of the imports); ``report`` hears of each
        finished file."""
        self._ready()
        assert self.project is not None
        config = self.project.config
        threads = sum(self._client.nthreads().values()) or 1
        chunks = balance.tasks(files, threads, durations)

        def send(tree: Any, job: Job, i: int) -> Any:
            return self._client.submit(
                run_tests,
                tree,
                job,
                chunks[i],
                list(config.src),
                None if modules is None else list(modules),
                {f: tested.timeout_for(config, f) for f in chunks[i]},
                pure=False,
                priority=len(chunks) - i,  # imports have 0: the longest work starts first
            )

        reports: dict[int, list[Report]] = {}
        for i, done in self._each(send, len(chunks)):
            reports[i] = done.value
            for name in chunks[i]:
                report(name)
        return [r for i in range(len(chunks)) for r in reports[i]]

    def _each(self, send: Callable[[Any, Job, int], Any], count: int) -> Iterator[tuple[int, Done]]:
        """Units ``0 … count-1``, each sent with ``send(tree, job, i)``, as they finish. A unit
        the scheduler cancelled is sent again with the tree scattered afresh: a worker that
        died can take the only copy of what a task needed with it, and Dask then forgets the
        task ("already forgotten") instead of running it elsewhere."""
        tree, job = self._ready()
        index = {send(tree, job, i): i for i in range(count)}
        sent = dict.fromkeys(range(count), 1)
        finished = self._finished(list(index))
        for future in finished:
            i = index.pop(future)
            try:
                done = self._taken(future)
            except CancelledError:
                if sent[i] >= _SENDS:
                    raise LockgateError(
                        f"a unit sent to the Dask scheduler {self.address.url} was cancelled "
                        f"{_SENDS} times (workers lost while it ran)"
                    ) from None
                sent[i] += 1
                tree, job = self._ready(scatter_again=True)
                again = send(tree, job, i)
                index[again] = i
                finished.add(again)
                continue
            yield i, done

    def close(self) -> None:
        """Leave the scheduler (the workers keep their copies of the tree until they stop)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> DaskPool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- connecting and sending the tree ---------------------------------------------------

    def _ready(self, scatter_again: bool = False) -> tuple[Any, Job]:
        with self._lock:
            if self._client is None:
                self._client = _connect(self.address)
            if self._job is not None and scatter_again:
                # the same bytes as the first time: the tree validated is the tree sent
                self._tree = self._client.scatter(self._packed, broadcast=True)
            if self._job is None:
                assert self.sandbox is not None and self.project is not None
                project = self.project
                self._packed = pack(self.sandbox)
                self._tree = self._client.scatter(self._packed, broadcast=True)
                self._job = Job(
                    tuple(project.python_files),
                    tuple(project.sys_path()),
                    project.config.timeout,
                    tuple(project.config.env),
                    self.fingerprint,
                    self.bytecode,
                )
            return self._tree, self._job

    def _finished(self, futures: list[Any]) -> Any:
        # lazy: distributed is an optional extra, imported once a unit goes to Dask
        from distributed import as_completed

        return as_completed(futures, loop=self._client.loop)  # type: ignore[no-untyped-call]

    def _taken(self, future: Any) -> Done:
        """A task's result; a refusal or a failure ends the run (the other tasks too)."""
        try:
            done: Done = future.result()
        except Refused as exc:
            raise LockgateError(str(exc)) from None
        except CancelledError:
            raise  # sent again by _each
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise LockgateError(
                f"a unit sent to the Dask scheduler {self.address.url} failed: "
                f"{type(exc).__name__}{': ' + first if first else ''}"
            ) from None
        self._merge(done)
        return done

    def _merge(self, done: Done) -> None:
        """What the unit's processes wrote and ran joins the run's, as a local unit's does."""
        assert self.sandbox is not None
        self.sandbox.writes.extend(done.writes)
        self.sandbox.ran.update(dict.fromkeys(done.ran))


def _connect(address: Address) -> Any:
    """A client of the scheduler at ``address``: one line and exit 2 when it is out of reach."""
    try:
        # lazy: distributed is an optional extra (lockgate[dask]), imported only to connect
        from distributed import Client
    except ImportError:
        raise LockgateError(
            f"--executor {address.url} needs the dask extra: pip install 'lockgate[dask]'"
        ) from None
    # distributed logs its retries on stderr; the error below says it in one line
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    try:
        return Client(address.scheduler, set_as_default=False)  # type: ignore[no-untyped-call]
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LockgateError(f"cannot reach the Dask scheduler {address.url}: {first}") from None
