"""The calls the observer wraps (see :mod:`.observe`): looks at a file that raise no audit
event, the ways code escapes coverage's tracer, and ``os.open`` (to learn its ``dir_fd``).

Standard library only, as every module of the child processes.
"""

from __future__ import annotations

import _thread
import os
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lockgate.execution.child.observe import Observer


def wrap_looks(observer: Observer) -> None:
    """Wrap the calls that look at a file without opening it, which raise no audit event:
    ``os.stat``, ``os.lstat``, ``os.readlink`` and ``os.access``. ``os.path``'s
    ``exists``/``isfile``/``isdir``/``getsize``/``getmtime``/``islink``/``lexists``, pathlib's
    ``stat``/``exists``/``is_file``/``readlink`` and ``glob`` of a literal path call them
    through the ``os`` module, so they are seen too; the import system calls ``posix``
    directly and is not."""

    def looking(real: Callable[..., Any], follows: bool) -> Callable[..., Any]:
        def look(path: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return real(path, *args, **kwargs)
            finally:
                follow = follows and kwargs.get("follow_symlinks", True)
                observer._looked(path, kwargs.get("dir_fd"), follow)

        look.__wrapped__ = real  # type: ignore[attr-defined]
        return look

    for name, follows in (("stat", True), ("lstat", False), ("readlink", False), ("access", True)):
        _replace(name, looking(getattr(os, name), follows))


def wrap_bypasses(observer: Observer) -> None:
    """Wrap the calls that let code run unseen by coverage's tracer: a thread started without
    ``threading`` (which gives new threads the tracer), and a trace function set that is not
    coverage's, for this thread or threads to come. ``os.open`` is wrapped to tell the audit
    hook the folder a ``dir_fd`` names."""
    real_start = _thread.start_new_thread
    real_settrace = sys.settrace
    real_thread_settrace = threading.settrace
    real_open = os.open

    def start_new_thread(function: Any, *args: Any, **kwargs: Any) -> Any:
        observer._bypassed("_thread.start_new_thread")
        return real_start(function, *args, **kwargs)

    def settrace(function: Any) -> None:
        if function not in observer.tracers and not _by_coverage(sys._getframe(1)):
            observer._bypassed("sys.settrace")
        real_settrace(function)

    def thread_settrace(function: Any) -> None:
        if function not in observer.tracers and not _by_coverage(sys._getframe(1)):
            observer._bypassed("threading.settrace")
        real_thread_settrace(function)

    def open_at(path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        observer._dir_fd = dir_fd
        try:
            return real_open(path, flags, mode, dir_fd=dir_fd)
        finally:
            observer._dir_fd = None

    _thread.start_new_thread = _thread.start_new = start_new_thread
    sys.settrace = settrace
    threading.settrace = thread_settrace  # type: ignore[assignment]
    _replace("open", open_at)


def _replace(name: str, wrapper: Callable[..., Any]) -> None:
    """Put ``wrapper`` in place of ``os.<name>``, and in the sets that say which arguments
    it takes (``os.supports_dir_fd``...), as the function it wraps is."""
    real = getattr(os, name)
    for supports in (
        os.supports_dir_fd,
        os.supports_fd,
        os.supports_follow_symlinks,
        os.supports_effective_ids,
    ):
        if real in supports:
            supports.add(wrapper)
    setattr(os, name, wrapper)


def _by_coverage(frame: Any) -> bool:
    """True when coverage itself calls (it sets its tracer in each new thread)."""
    return f"{os.sep}coverage{os.sep}" in frame.f_code.co_filename
