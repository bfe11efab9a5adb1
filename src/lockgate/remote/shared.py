"""Facts stored once on the remote and named by the entries that need them.

A result's entry carries the probe sets and block lists its reuse check reads
(lockgate.keys.extras). One feature's probe set (every name an import looked for: a thousand
or more) is named by its ``imported``, ``instantiated`` and ``tested`` results and by the
records of its test file, so inline it was most of the bytes a fresh clone read, decompressed
and decoded. A fact whose name is the digest of its text (``probes/<digest>``,
``blocks/<digest>``) and that is not small is written once as an object of its own, and the
entry names it (``refs``).

Such an object is sealed as entries are (the "tables" ``remote-shared/1`` and
``remote-shared/2``: it never verifies as a result or a parse fact) and read by the same scope
and trust rules; its text must also hash to its name, so an object's content is what the entry
that names it was signed with. An entry whose facts cannot all be read is not used.
"""

from __future__ import annotations

import hashlib
import zlib

from lockgate.keys.hashing import digest
from lockgate.remote.trust import Trust, opened, sealed

_KIND = "remote-shared/1"
_SCOPED = "remote-shared/2"
VARIANT = "sharedfact"  # one variant per name: its text is fixed by its name
# Texts shorter than this stay in the entry: an object of their own costs a read of its own.
SMALLEST = 1024
_NAMED = ("probes/", "blocks/")  # facts named by the digest of their text


def shareable(name: str, text: str) -> bool:
    """Whether the fact ``name`` is stored apart: not small, and named by its text's digest."""
    return len(text) >= SMALLEST and _named_by(name, text)


def _named_by(name: str, text: str) -> bool:
    """Whether ``name`` is a fact name made of the digest of ``text``."""
    return name.startswith(_NAMED) and name.partition("/")[2] == digest(text.encode())


def name_of(fact: str) -> str:
    """The remote key of the fact ``fact``."""
    return hashlib.sha256(f"lockgate shared fact\0{fact}".encode()).hexdigest()


def seal(trust: Trust, scope: str | None, fact: str, text: str) -> bytes:
    """The bytes to store under ``name_of(fact)`` in ``scope`` (None: unscoped)."""
    return sealed(trust, scope, (_KIND, _SCOPED), name_of(fact), zlib.compress(text.encode(), 6))


def unseal(trust: Trust, scope: str | None, fact: str, data: bytes) -> str | None:
    """The text of the fact ``fact`` stored in ``scope``, or None when it does not verify, or
    its text is not the one its name is the digest of."""
    payload = opened(trust, scope, (_KIND, _SCOPED), name_of(fact), data)
    if payload is None:
        return None
    try:
        text = zlib.decompress(payload).decode()
    except (ValueError, zlib.error):
        return None
    return text if _named_by(fact, text) else None
