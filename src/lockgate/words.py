"""Counts in words: "1 feature", "2 features", "1 test passes", "2 tests pass"."""

from __future__ import annotations

# Nouns whose plural is not the singular plus "s".
_IRREGULAR = {"entry": "entries", "is": "are", "passes": "pass", "covers": "cover"}


def plural(count: int, singular: str, many: str | None = None) -> str:
    """The form of ``singular`` that goes with ``count`` (``many`` when it is irregular)."""
    if count == 1:
        return singular
    return many or _IRREGULAR.get(singular) or singular + "s"


def counted(count: int, singular: str, many: str | None = None) -> str:
    """``count`` and its noun: ``1 feature``, ``1000 features`` (no separators: details that
    hold a count are matched by patterns such as the tests gate's ``\\d+ tests? pass``)."""
    return f"{count} {plural(count, singular, many)}"
