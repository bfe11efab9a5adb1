"""Cached bytecode checked against its source before a child process trusts it."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable


def stale_bytecode(files: list[str], extra: Callable[[str], str | None] | None = None) -> int:
    """Remove cached bytecode that may not describe its source any more; return how many.

    Python trusts a cached ``.pyc`` when the source's whole-second mtime and size match, so a
    same-size edit within one second, or one whose mtime was set back, would run the old code.
    A source whose ctime (which cannot be set back) is not clearly older than its bytecode
    changed after, or too close to, that bytecode being written: the bytecode is removed and
    the source compiled again. ``extra`` names a second cache file per source (pytest's
    rewritten test modules).
    """
    removed = 0
    for source in files:
        try:
            changed = os.stat(source).st_ctime_ns
        except OSError:
            continue
        caches = [importlib.util.cache_from_source(source)]
        if extra is not None:
            caches.append(extra(source) or "")
        for cache in filter(None, caches):
            try:
                written = os.stat(cache).st_mtime_ns
            except OSError:
                continue
            if written <= changed + _BYTECODE_MARGIN_NS:
                try:
                    os.unlink(cache)
                    removed += 1
                except OSError:
                    pass
    return removed


# Compiling reads the source a moment before the bytecode is written: an edit inside that
# moment would otherwise look older than the bytecode.
_BYTECODE_MARGIN_NS = 2_000_000_000
