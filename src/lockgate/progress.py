"""A Rich progress bar on stderr, shown only on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Progress = Callable[[str, int], None]  # (description, amount); a negative amount adds to the total


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """Yield a callback that advances a bar; a no-op when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield lambda _description, _amount: None
        return
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
