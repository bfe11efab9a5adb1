"""A whole tree's result on the remote: the no-change snapshot (lockgate.keys.snapshot) in a
form that holds on any clone, so a fresh clone of a commit some job validated is served in one
read instead of one per result (issue 22).

Filed under a name made of the tree's key (lockgate.keys.snapshot.tree_key: the raw
configuration, the file listing, the environment by content, lockgate's version, the layers).
The record names every file the run looked at with its content hash (None: absent) and every
probe with its state; a reader serves it only when each still holds, exactly as the local
snapshot's stat check would after hashing. Signed and verified as results are
(lockgate.remote.entry), in tables of its own: a record never verifies as a result or a
parse fact, nor they as a record.

On the wire: a signature line, a newline, then the zlib-compressed JSON of the record.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from typing import Any

from lockgate.remote.trust import Trust, opened, sealed

_KIND = "remote-tree/1"
_SCOPED = "remote-tree/2"
VARIANT = "treeresult"  # one record per tree key: the newest run of that tree


def name_of(key: str) -> str:
    """The remote key of the record of the tree whose key is ``key``."""
    return hashlib.sha256(f"lockgate tree result\0{key}".encode()).hexdigest()


def seal(trust: Trust, scope: str | None, name: str, record: dict[str, Any]) -> bytes:
    """The bytes to store under ``name`` in ``scope`` (None: unscoped) for ``record``."""
    payload = zlib.compress(json.dumps(record, separators=(",", ":")).encode(), 6)
    return sealed(trust, scope, (_KIND, _SCOPED), name, payload)


def unseal(trust: Trust, scope: str | None, name: str, data: bytes) -> dict[str, Any] | None:
    """The record stored under ``name`` in ``scope``, or None when it does not verify or is
    not a record's shape."""
    payload = opened(trust, scope, (_KIND, _SCOPED), name, data)
    if payload is None:
        return None
    try:
        record: Any = json.loads(zlib.decompress(payload))
    except (ValueError, zlib.error):
        return None
    if not (
        isinstance(record, dict)
        and isinstance(record.get("files"), list)
        and isinstance(record.get("result"), dict)
    ):
        return None
    return record
