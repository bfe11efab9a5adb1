"""Spellings of a class name used in guide and test file templates."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """``HTTPClientAgent`` → ``http_client_agent``."""
    return _BOUNDARY.sub("_", name).lower()


def kebab(name: str) -> str:
    """``HTTPClientAgent`` → ``http-client-agent``."""
    return snake(name).replace("_", "-")


def shortest(ids: Iterable[str]) -> dict[str, str]:
    """Each dotted feature id's shortest tail of whole parts that no other id ends with
    (``faker.providers.address.en_US.Provider`` → ``address.en_US.Provider`` when every
    locale has a ``Provider``); the class name alone where it is unique."""
    unique = list(dict.fromkeys(ids))
    tails: Counter[str] = Counter()
    for fid in unique:
        parts = fid.split(".")
        tails.update(".".join(parts[-k:]) for k in range(1, len(parts) + 1))
    found = {}
    for fid in unique:
        parts = fid.split(".")
        tail = next((t for k in range(1, len(parts)) if tails[t := ".".join(parts[-k:])] == 1), fid)
        found[fid] = tail
    return found


def named_by(fid: str, wanted: str) -> bool:
    """Whether ``wanted`` names feature ``fid``: the id, or a tail of whole parts of it."""
    return fid == wanted or fid.endswith("." + wanted)


def several(wanted: str, ids: list[str], shown: int = 5) -> str:
    """The error for a name several features answer to, with a few of their shortest names."""
    names = shortest(ids)
    listed = ", ".join(names[fid] for fid in ids[:shown])
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return f"{wanted!r} names {len(ids)} features ({listed}{more}); give more of the id"
