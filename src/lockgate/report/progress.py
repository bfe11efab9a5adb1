"""What a run tells the user while it works, on stderr: a Rich progress bar on a terminal,
else one short line per phase (a CI log otherwise shows nothing for minutes) and, while
anything runs, a line at least every ``LOCKGATE_PROGRESS_SECONDS`` (10), else nothing."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO

Progress = Callable[[str, int], None]  # (description, amount); a negative amount adds to the total
EVERY = 10.0  # seconds a CI log may go without a line while a run works (the default)


def _silent(_description: str, _amount: int) -> None:
    pass


@dataclass
class Reporter:
    """``advance`` moves a phase on (the runner's callback); ``say`` prints one line."""

    advance: Progress = _silent
    say: Callable[[str], None] = lambda _text: None


@dataclass
class _Phase:
    total: int = 0
    done: int = 0
    started: float = field(default_factory=time.perf_counter)
    reported: bool = False


class PhaseLines:
    """``lockgate: running tests: 12 of 12 in 3.1s`` once a phase is through (or the run
    ends before it is). The import workers and the test batch advance from two threads."""

    def __init__(self, stream: TextIO, every: float = EVERY) -> None:
        self.stream = stream
        self.phases: dict[str, _Phase] = {}
        self.lock = threading.Lock()
        self.every = every
        self.last = time.perf_counter()  # when the last line was written
        self._stopped = threading.Event()

    def say(self, text: str) -> None:
        """One line, prefixed like every lockgate line on stderr."""
        with self.lock:
            self._write(text)

    def _write(self, text: str, now: float | None = None) -> None:
        self.stream.write(f"lockgate: {text}\n")
        self.stream.flush()
        self.last = time.perf_counter() if now is None else now

    def tick(self, now: float) -> bool:
        """Write where every unfinished phase stands when no line was written for ``every``
        seconds before ``now``; whether it wrote one."""
        with self.lock:
            if self._stopped.is_set() or now - self.last < self.every:
                return False
            open_phases = [(d, p) for d, p in self.phases.items() if not p.reported]
            parts = [
                f"{d}: {p.done} of {p.total}, {_elapsed(now - p.started)}" for d, p in open_phases
            ]
            self._write("; ".join(parts) if parts else "working", now)
            return True

    def keep_talking(self) -> None:
        """Tick from a thread of its own until :meth:`finish`."""

        def loop() -> None:
            while not self._stopped.wait(min(self.every, 1.0)):
                self.tick(time.perf_counter())

        threading.Thread(target=loop, name="lockgate-progress", daemon=True).start()

    def advance(self, description: str, amount: int) -> None:
        """The runner's progress callback."""
        with self.lock:
            phase = self.phases.setdefault(description, _Phase())
            if amount < 0:
                phase.total -= amount
                phase.reported = False
            else:
                phase.done += amount
            finished = phase.done >= phase.total and not phase.reported
            if finished:
                phase.reported = True
        if finished:
            self._report(description, phase)

    def stop(self) -> None:
        """No more lines from the thread of :meth:`keep_talking` once this returns."""
        with self.lock:
            self._stopped.set()

    def finish(self) -> None:
        """Report the phases that did not get through (a timeout, an interrupted batch)."""
        self.stop()
        for description, phase in list(self.phases.items()):
            if not phase.reported:
                phase.reported = True
                self._report(description, phase)

    def _report(self, description: str, phase: _Phase) -> None:
        seconds = time.perf_counter() - phase.started
        self.say(f"{description}: {phase.done} of {phase.total} in {seconds:.1f}s")


def _elapsed(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def _every() -> float:
    """The configured seconds between lines (``LOCKGATE_PROGRESS_SECONDS``), else EVERY."""
    try:
        every = float(os.environ.get("LOCKGATE_PROGRESS_SECONDS", EVERY))
    except ValueError:
        return EVERY
    return every if every > 0 else EVERY


def say(silent: bool, text: str) -> None:
    """One phase line outside a run's reporter (the no-change path has no phases)."""
    if not silent and not sys.stderr.isatty():
        sys.stderr.write(f"lockgate: {text}\n")
        sys.stderr.flush()


@contextmanager
def reporter(silent: bool) -> Iterator[Reporter]:
    """The reporter for this run: nothing when ``silent`` (``-q``, ``--json``), a bar on a
    terminal, phase lines otherwise."""
    if silent:
        yield Reporter()
    elif not sys.stderr.isatty():
        lines = PhaseLines(sys.stderr, _every())
        lines.keep_talking()
        try:
            yield Reporter(lines.advance, lines.say)
        except BaseException:
            lines.stop()  # its one line says what went wrong
            raise
        lines.finish()
    else:
        with _bar() as advance:
            yield Reporter(advance)


@contextmanager
def _bar() -> Iterator[Progress]:
    # lazy: rich's progress bar costs the no-change path ~25 ms; only a terminal shows it
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn
    from rich.progress import Progress as Bar

    tasks: dict[str, TaskID] = {}
    with Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:

        def advance(description: str, amount: int) -> None:
            if description not in tasks:
                tasks[description] = bar.add_task(description, total=0)
            task = tasks[description]
            if amount < 0:
                bar.update(task, total=(bar.tasks[task].total or 0) - amount)
            else:
                bar.advance(task, amount)

        yield advance
