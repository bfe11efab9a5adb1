"""Small text helpers shared by the agents."""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[a-zà-ÿ0-9']+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def words(text: str) -> list[str]:
    """Lower-case words of ``text``, punctuation removed."""
    return _WORD.findall(text.lower())


def sentences(text: str) -> list[str]:
    """Split ``text`` into sentences on ``.``, ``!`` and ``?``."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def contains_any(text: str, keywords: Iterable[str]) -> list[str]:
    """The keywords that occur in ``text`` as whole words, sorted."""
    present = set(words(text))
    return sorted({k for k in keywords if k in present})


def truncate(text: str, limit: int) -> str:
    """Shorten ``text`` to at most ``limit`` characters, ending with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"
