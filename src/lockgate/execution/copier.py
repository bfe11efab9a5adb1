"""Copying files into a sandbox: a reflink where the file system takes one, else in the kernel.

A hard link is never made: it would share the inode that an in-place ``open(path, "w")``
writes. :func:`state` is what a copy (or any file) is compared by afterwards.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from concurrent.futures import ThreadPoolExecutor

from lockgate.plainfiles import open_regular

_FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int)
_THREADS = 4

State = tuple[int, int, int, int, int]  # mode, size, mtime, ctime, inode


def state(info: os.stat_result) -> State:
    """What a file is compared by: mode, size, mtime, ctime (which cannot be set back), inode."""
    return (info.st_mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


class Copier:
    """Copies a file's bytes: a reflink while the file system takes them, else in the kernel."""

    def __init__(self) -> None:
        self.reflinks = True

    def copy(self, src: str, dst: str, info: os.stat_result) -> State:
        """Copy ``src`` (whose lstat is ``info``, a regular file) to a new ``dst``; the copy's
        state. Raises NotRegular when ``src`` was swapped for a FIFO or device meanwhile."""
        fd_in = open_regular(src, follow=False)
        try:
            fd_out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, info.st_mode & 0o7777)
            try:
                self._fill(fd_in, fd_out, info.st_size)
                os.utime(fd_out, ns=(info.st_atime_ns, info.st_mtime_ns))
                return state(os.fstat(fd_out))
            finally:
                os.close(fd_out)
        finally:
            os.close(fd_in)

    def copy_all(self, files: list[tuple[str, str, os.stat_result]]) -> list[State]:
        """``copy`` for many files, by a few threads: the time is the kernel's (creating
        files), which runs beside the interpreter."""
        if len(files) < 256:
            return [self.copy(*f) for f in files]
        slices = [files[i::_THREADS] for i in range(_THREADS)]
        with ThreadPoolExecutor(max_workers=_THREADS) as pool:
            done = list(pool.map(lambda part: [self.copy(*f) for f in part], slices))
        out: list[State] = [done[0][0]] * len(files)
        for i, part in enumerate(done):
            out[i::_THREADS] = part
        return out

    def _fill(self, fd_in: int, fd_out: int, size: int) -> None:
        if self.reflinks:
            try:
                fcntl.ioctl(fd_out, _FICLONE, fd_in)
                return
            except OSError:  # ext4, tmpfs, another file system: never again this run
                self.reflinks = False
        left = size
        with contextlib.suppress(OSError):
            while left > 0:
                done = os.copy_file_range(fd_in, fd_out, left)
                if done == 0:
                    break
                left -= done
            if left <= 0:
                return
        os.lseek(fd_in, size - left, os.SEEK_SET)
        while chunk := os.read(fd_in, 1 << 20):
            os.write(fd_out, chunk)
