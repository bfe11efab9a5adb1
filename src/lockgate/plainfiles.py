"""Reading a file only when it is a regular file: never a FIFO, a socket or a device.

Opening a FIFO for reading waits for a writer for ever, reading ``/dev/zero`` never ends, and a
socket cannot be opened at all. Anyone who can put an entry in the project (or in a shared
folder) can name one like a module, so every read of a file lockgate did not make goes through
here: the type is checked before opening (opening a device can have effects of its own), the
file is opened without blocking, and the type is checked again on the open descriptor, so that
an entry swapped in between is caught too.
"""

from __future__ import annotations

import errno
import os
import stat

_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISLNK, "a symlink"),
)


class NotRegular(OSError):
    """A path that is not a regular file; its ``strerror`` says what it is instead."""


_CHUNK = 1 << 20  # bytes per read


class TooLarge(OSError):
    """A regular file larger than its reader accepts."""


def kind(mode: int) -> str | None:
    """What a file of ``mode`` is, in words ("a FIFO"), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "an unknown kind of file")


def _refuse(path: str, mode: int) -> NotRegular:
    return NotRegular(errno.EINVAL, f"not a regular file ({kind(mode)})", path)


def open_regular(
    path: str | os.PathLike[str], follow: bool = True, dir_fd: int | None = None
) -> int:
    """A read-only descriptor of ``path``, which must be a regular file (reached through
    symlinks unless ``follow`` is False); raises :class:`NotRegular` (an ``OSError``)."""
    name = os.fspath(path)
    info = os.stat(name, dir_fd=dir_fd, follow_symlinks=follow)
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(name, info.st_mode)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    fd = os.open(name, flags, dir_fd=dir_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(name, info.st_mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(
    path: str | os.PathLike[str],
    limit: int | None = None,
    follow: bool = True,
    dir_fd: int | None = None,
) -> bytes:
    """The bytes of the regular file ``path``; :class:`TooLarge` beyond ``limit`` bytes.
    Read with plain ``read`` calls to its end (no file object: a fresh clone reads tens of
    thousands of small files)."""
    fd = open_regular(path, follow, dir_fd)
    parts: list[bytes] = []
    left = -1 if limit is None else limit + 1  # bytes still wanted; -1: all
    try:
        while left:
            chunk = os.read(fd, _CHUNK if left < 0 else min(left, _CHUNK))
            if not chunk:
                break
            parts.append(chunk)
            left = left - len(chunk) if left > 0 else left
    finally:
        os.close(fd)
    data = b"".join(parts)
    if limit is not None and len(data) > limit:
        raise TooLarge(errno.EFBIG, f"larger than {limit} bytes", os.fspath(path))
    return data


def read_text(path: str | os.PathLike[str], encoding: str = "utf-8") -> str:
    """The text of the regular file ``path``."""
    return read_regular(path).decode(encoding)
