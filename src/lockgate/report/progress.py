"""What a run tells the user while it works, on stderr: a Rich progress bar on a terminal,
else one short line per phase (a CI log otherwise shows nothing for minutes), else nothing."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO

Progress = Callable[[str, int], None]  # (description, amount); a negative amount adds to the total


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

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.phases: dict[str, _Phase] = {}
        self.lock = threading.Lock()

    def say(self, text: str) -> None:
        """One line, prefixed like every lockgate line on stderr."""
        with self.lock:
            self.stream.write(f"lockgate: {text}\n")
            self.stream.flush()

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

    def finish(self) -> None:
        """Report the phases that did not get through (a timeout, an interrupted batch)."""
        for description, phase in list(self.phases.items()):
            if not phase.reported:
                phase.reported = True
                self._report(description, phase)

    def _report(self, description: str, phase: _Phase) -> None:
        seconds = time.perf_counter() - phase.started
        self.say(f"{description}: {phase.done} of {phase.total} in {seconds:.1f}s")


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
        lines = PhaseLines(sys.stderr)
        yield Reporter(lines.advance, lines.say)
        lines.finish()  # not after an error: its one line says what went wrong
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
