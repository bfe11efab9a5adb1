"""Reading regular files only (plainfiles.py), with plain read calls: whole, to a limit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lockgate.plainfiles import NotRegular, TooLarge, read_regular


def test_a_file_is_read_whole_within_its_limit(tmp_path: Path) -> None:
    empty, small, large = tmp_path / "empty", tmp_path / "small", tmp_path / "large"
    empty.write_bytes(b"")
    small.write_bytes(b"0123456789")
    data = os.urandom(3 << 20) + b"tail"  # more than one read's worth
    large.write_bytes(data)
    assert read_regular(empty) == b"" == read_regular(empty, limit=0)
    assert read_regular(small) == b"0123456789" == read_regular(small, limit=10)
    with pytest.raises(TooLarge):
        read_regular(small, limit=9)
    assert read_regular(large) == data == read_regular(large, limit=len(data))
    with pytest.raises(TooLarge):
        read_regular(large, limit=len(data) - 1)
    folder = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert read_regular("small", follow=False, dir_fd=folder) == b"0123456789"
    finally:
        os.close(folder)


def test_a_fifo_is_refused_unread(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(NotRegular):
        read_regular(fifo)
