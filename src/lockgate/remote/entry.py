"""One remote entry: a result with the facts it needs, sealed with the remote's secret.

On the wire: the hex HMAC, a newline, then the zlib-compressed JSON of the result. The MAC
covers the key and the whole compressed content, so an entry moved to another key, edited,
or written by anyone without the secret is refused before a byte of it is decoded.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

from lockgate.store import signing
from lockgate.store.store import NewResult

# The signed "table": a new format never verifies as an old one.
_KIND = "remote/1"


@dataclass(frozen=True)
class Entry:
    """A result and the facts (probe sets) its reuse check reads."""

    result: NewResult
    facts: dict[str, str]


def seal(secret: bytes, entry: Entry) -> bytes:
    """The bytes to store under the entry's key."""
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
    payload = zlib.compress(json.dumps(body, sort_keys=True).encode(), 6)
    mac = signing.sign(secret, _KIND, [r.key], [payload])
    return mac.encode() + b"\n" + payload


def unseal(secret: bytes, key: str, data: bytes) -> Entry | None:
    """The entry stored under ``key``, or None when it does not verify or decode."""
    mac, newline, payload = data.partition(b"\n")
    if not newline:
        return None
    try:
        text = mac.decode("ascii")
    except UnicodeDecodeError:
        return None
    if not signing.verify(secret, text, _KIND, [key], [payload]):
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
    except (ValueError, TypeError, KeyError, zlib.error):
        return None
    return Entry(result, facts) if result.key == key else None
