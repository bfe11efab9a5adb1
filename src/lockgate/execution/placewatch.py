"""The kernel's view of a place while a test child runs there: every open of its files and
folders, and every change, by any process (Linux inotify, one watch per folder).

The child opens a sentinel file once its audit hook counts (:mod:`.child.opencount`); what
came before (the interpreter's start) is not counted on either side. A thread reads the events
as they come, so the kernel's queue does not overflow; :meth:`PlaceWatch.stop` drains it once
the child's process group is gone. :mod:`.accounting` compares the two views.

The kernel merges an event with the one queued just before it when they are the same (same
folder, kind and name): closes are watched too, so that one process's open, close and next
open of a file stay three events. Two processes opening one file at the same instant, with
nothing between, can still be seen as one open (docs/design.md, the threat table).
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

if sys.platform == "linux":
    try:
        from inotify_simple import INotify, flags
    except ImportError:  # pragma: no cover - a core dependency on Linux
        INotify = None
else:  # pragma: no cover - inotify is Linux's
    INotify = None

SENTINEL = "watched"  # the file in the attempt's folder that the child opens once it counts


class PlaceWatch:
    """Opens and changes under ``folders`` (absolute, existing) while a child runs.

    After :meth:`stop`: ``opens`` (per path), ``changes`` (paths), and ``doubt``: why the view
    is incomplete (None when it is whole)."""

    def __init__(self, folders: Iterable[str], sentinel: Path) -> None:
        self.opens: dict[str, int] = {}
        self.changes: set[str] = set()
        self.doubt: str | None = None
        self._counting = False
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._sentinel = sentinel
        self._folders: dict[int, str] = {}
        self._watched: frozenset[str] = frozenset()
        self._inotify: INotify | None = None
        if INotify is None:
            self.doubt = "no inotify on this platform"
            return
        try:
            self._inotify = INotify()
        except OSError as exc:
            self.doubt = f"inotify could not start ({exc.strerror})"
            return
        writes = flags.MODIFY | flags.CREATE | flags.DELETE | flags.MOVED_FROM | flags.MOVED_TO
        mask = flags.OPEN | flags.CLOSE_WRITE | flags.CLOSE_NOWRITE | writes
        mask |= flags.DELETE_SELF | flags.MOVE_SELF | flags.DONT_FOLLOW | flags.ONLYDIR
        try:
            self._watch(str(sentinel.parent), flags.OPEN | flags.ONLYDIR)
            for folder in sorted(set(folders)):
                self._watch(folder, mask)
        except OSError as exc:
            self.doubt = f"a folder could not be watched ({exc.strerror})"
            self._close()
            return
        self._watched = frozenset(self._folders.values())
        self._wake = os.pipe()  # written by stop(): the reader returns at once, not on a timeout
        self._thread = threading.Thread(target=self._read, name="placewatch", daemon=True)
        self._thread.start()

    def _watch(self, folder: str, mask: int) -> None:
        assert self._inotify is not None
        try:
            self._folders[self._inotify.add_watch(folder, mask)] = folder
        except OSError as exc:
            # gone, or a link to a folder: what is read through a link is seen at its target
            if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                raise

    def _read(self) -> None:
        assert self._inotify is not None
        poller = select.poll()
        poller.register(self._inotify.fileno(), select.POLLIN)
        poller.register(self._wake[0], select.POLLIN)
        while not self._stopping.is_set():
            poller.poll()
            self._take(0)

    def _take(self, timeout: int) -> bool:
        """Read the events there are (waiting up to ``timeout`` ms); True if there were any."""
        assert self._inotify is not None
        try:
            events = self._inotify.read(timeout=timeout)
        except OSError as exc:
            self.doubt = self.doubt or f"the watch could not be read ({exc.strerror})"
            self._stopping.set()
            return False
        got = False
        for event in events:
            got = True
            self._note(event.wd, event.mask, event.name)
        return got

    def _note(self, wd: int, mask: int, name: str) -> None:
        if mask & flags.Q_OVERFLOW:
            self.doubt = self.doubt or "the watch's event queue overflowed"
            return
        folder = self._folders.get(wd)
        if folder is None:
            return
        if mask & flags.IGNORED:
            self.doubt = self.doubt or f"the watch of {folder} ended (the folder went away)"
            return
        path = os.path.join(folder, name) if name else folder
        if not self._counting:
            if mask & flags.OPEN and path == str(self._sentinel):
                self._counting = True
            return
        if path == str(self._sentinel) or os.path.dirname(str(self._sentinel)) == folder:
            return  # the attempt's own folder
        if mask & (flags.MODIFY | flags.CREATE | flags.DELETE | flags.MOVED_FROM | flags.MOVED_TO):
            self.changes.add(path)
        elif mask & (flags.DELETE_SELF | flags.MOVE_SELF):
            self.changes.add(folder)
        elif mask & flags.OPEN:
            if name and mask & flags.ISDIR and path in self._watched:
                return  # counted by that folder's own watch
            self.opens[path] = self.opens.get(path, 0) + 1

    def stop(self) -> None:
        """Stop watching (the child and its processes are gone), the queue read to its end."""
        if self._thread is None:
            return
        self._stopping.set()
        os.write(self._wake[1], b"x")
        self._thread.join()
        self._thread = None
        for end in self._wake:
            os.close(end)
        while self.doubt is None and self._take(0):
            pass
        if not self._counting:
            self.doubt = self.doubt or "the test process never said it was counting"
        self._close()

    def _close(self) -> None:
        if self._inotify is not None:
            with contextlib.suppress(OSError):
                self._inotify.close()
            self._inotify = None


def folders_of(root: Path, manifest: Iterable[str]) -> list[str]:
    """The folders of a place to watch: its root and every folder that holds a manifest path."""
    found = {str(root)}
    for rel in manifest:
        parts = rel.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            found.add(os.path.join(str(root), *parts[:i]))
    return sorted(found)
