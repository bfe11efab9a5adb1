"""One remote entry: a result with the facts it needs, sealed by its writer.

On the wire: a signature line, a newline, then the zlib-compressed JSON of the result. Unscoped
(as before scopes) the line is the hex HMAC under the shared secret over the key and the
payload; scoped, it is ``ed25519 <key id> <signature>`` or ``hmac <mac>`` over the scope, the
key and the payload (see lockgate.remote.trust). Either way an entry moved to another key or
scope, edited, or written by anyone without a key the reader accepts is refused before a
byte of it is decoded.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

from lockgate.remote.trust import Trust, opened, sealed
from lockgate.store.store import NewResult

# The signed "table": a new format never verifies as an old one.
_KIND = "remote/1"
_SCOPED = "remote/2"


@dataclass(frozen=True)
class Entry:
    """A result and the facts (probe sets) its reuse check reads: in ``facts``, or on the
    wire the names (``refs``) of those stored apart (see lockgate.remote.shared)."""

    result: NewResult
    facts: dict[str, str]
    refs: tuple[str, ...] = ()


def seal(trust: Trust, scope: str | None, entry: Entry) -> bytes:
    """The bytes to store under the entry's key in ``scope`` (None: unscoped)."""
    r = entry.result
    body = {
        "key": r.key,
        "layer": r.layer,
        "feature": r.feature,
        "passed": r.passed,
        "detail": r.detail,
        "seconds": r.seconds,
        "extras": r.extras,
        "inputs": r.inputs,
        "created": r.created,
        "marks": sorted(r.marks),
        "facts": entry.facts,
    }
    if entry.refs:  # an entry without them reads as before refs
        body["refs"] = sorted(entry.refs)
    payload = zlib.compress(json.dumps(body, sort_keys=True).encode(), 6)
    return sealed(trust, scope, (_KIND, _SCOPED), r.key, payload)


def unseal(trust: Trust, scope: str | None, key: str, data: bytes) -> Entry | None:
    """The entry stored under ``key`` in ``scope``, or None when it does not verify or
    decode."""
    payload = opened(trust, scope, (_KIND, _SCOPED), key, data)
    if payload is None:
        return None
    try:
        body: dict[str, Any] = json.loads(zlib.decompress(payload))
        result = NewResult(
            key=body["key"],
            layer=str(body["layer"]),
            feature=str(body["feature"]),
            passed=bool(body["passed"]),
            detail=str(body["detail"]),
            seconds=float(body["seconds"]),
            extras=dict(body["extras"]),
            inputs=dict(body["inputs"]),
            created=float(body["created"]),
            marks=frozenset(str(m) for m in body.get("marks", ())),
        )
        facts = {str(k): str(v) for k, v in dict(body["facts"]).items()}
        refs = tuple(str(n) for n in list(body.get("refs", ())))
    except (ValueError, TypeError, KeyError, zlib.error):
        return None
    return Entry(result, facts, refs) if result.key == key else None
