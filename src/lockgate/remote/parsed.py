"""Parse facts on the remote: what one Python file says (lockgate.project.facts), filed under a
name made of its content hash, the facts' version and the Python that parsed it, so a fact is
valid for any clone holding the same bytes. Signed and verified as results are
(lockgate.remote.entry): parsed facts feed keys, so a forged one must never be used.

On the wire: a signature line, a newline, then the zlib-compressed JSON of the facts.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zlib
from typing import Any

from lockgate.project.facts import FileFacts
from lockgate.remote.trust import Trust, opened, sealed

# The signed "tables": a parse fact never verifies as a result, nor a result as a parse fact.
_KIND = "remote-facts/1"
_SCOPED = "remote-facts/2"
# One variant per name: the bytes of one content parse one way.
VARIANT = "parsefacts"


def name_of(digest: str) -> str:
    """The remote key of the facts of a file whose content hash and facts version are
    ``digest``: the parser is part of it (a newer Python reads syntax an older one refuses)."""
    parser = f"{sys.implementation.name}-{sys.version_info.major}.{sys.version_info.minor}"
    return hashlib.sha256(f"lockgate parse facts\0{parser}\0{digest}".encode()).hexdigest()


def seal(trust: Trust, scope: str | None, name: str, text: str) -> bytes:
    """The bytes to store under ``name`` in ``scope`` (None: unscoped) for the facts
    ``text`` (FileFacts.to_json as JSON)."""
    payload = zlib.compress(text.encode(), 6)
    return sealed(trust, scope, (_KIND, _SCOPED), name, payload)


def unseal(trust: Trust, scope: str | None, name: str, data: bytes) -> str | None:
    """The facts (JSON text) stored under ``name`` in ``scope``, or None when they do not
    verify or do not read as facts."""
    payload = opened(trust, scope, (_KIND, _SCOPED), name, data)
    if payload is None:
        return None
    try:
        facts = zlib.decompress(payload).decode()
        body: Any = json.loads(facts)
        FileFacts.from_json(body)  # a signed entry that does not read is refused, not used
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, zlib.error):
        return None
    return facts
