"""Whether the opens and changes the kernel saw in a place are all a test child's own.

A test child counts, from its audit hook, how many times it opened each file and folder of its
place and what it changed there (:mod:`.child.opencount`); the parent watches the place with
inotify for the child's whole life (:mod:`.placewatch`). When the kernel saw no more opens of
any path than the child accounts for, and no change the child did not make, no process the
child started read or wrote anything of the project there. Pure logic: no file is touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass
class Counts:
    """What the child's processes (a test child and its forks) say they did in the place."""

    opened: dict[str, int] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    doubt: str | None = None  # why the counts prove nothing (a part missing, a path unnamed)

    def add(self, report: Mapping[str, object] | None, who: str) -> None:
        """Add one process's report (None: it sent none, ``who`` says which)."""
        if report is None:
            self.doubt = self.doubt or f"{who} reported no open counts"
            return
        if report.get("unknown"):
            self.doubt = self.doubt or f"{who} opened a path it could not name"
        opened = report.get("opened")
        changed = report.get("changed")
        if not isinstance(opened, dict) or not isinstance(changed, list):
            self.doubt = self.doubt or f"{who} reported no open counts"
            return
        for path, times in opened.items():
            self.opened[path] = self.opened.get(path, 0) + int(times)
        self.changed.update(str(p) for p in changed)


def unaccounted(
    seen_opens: Mapping[str, int], seen_changes: Iterable[str], counts: Counts
) -> str | None:
    """Why the kernel's view (``seen_opens``: opens per path; ``seen_changes``: paths
    modified, created, removed or moved) shows another process at work in the place, or
    cannot be matched; None when the child's ``counts`` account for all of it."""
    if counts.doubt is not None:
        return counts.doubt
    for path in sorted(seen_opens):
        if seen_opens[path] > counts.opened.get(path, 0):
            times = counts.opened.get(path, 0)
            return f"{path} was opened {seen_opens[path]} times, {times} by the test process"
    for path in sorted(set(seen_changes)):
        if path not in counts.changed:
            return f"{path} was changed by another process than the test process"
    return None
