"""A pack: the remote as one file, for CI caches that hold few large files (``actions/cache``).

GitHub Actions' cache is immutable, evicts after 7 idle days and takes at most 200 uploads a
minute per repository: one small upload per result is the wrong shape there. ``cache push
--pack FILE`` writes the results valid for the tree into one file, ``cache pull --pack FILE``
reads it back. Every entry in it is sealed as on a server (scope, key and content signed), so
a pack restored from a cache a pull request could write is trusted exactly as a remote that
pull request could write: its entries in trusted scopes need a trusted Ed25519 signature.

Format: a magic line, then per key its name (2-byte length) and its variants' blob (4-byte
length, see lockgate.remote.bundle). Written whole under a temporary name, then renamed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

from lockgate.plainfiles import read_regular
from lockgate.remote.bundle import pack_variants, unpack_variants
from lockgate.remote.errors import RemoteError
from lockgate.store.schema import VARIANTS

_MAGIC = b"lockgate-pack/1\n"
MAX_PACK = 4 << 30  # far beyond any project's results; a larger file is not a pack


class PackBackend:
    """Entries read from a pack file, or gathered and written to one on :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []
        self._read: dict[str, list[bytes]] | None = None
        self._written: dict[str, dict[str, bytes]] = {}

    def get_many(self, keys: Sequence[str]) -> dict[str, list[bytes]]:
        """The entries the pack holds for ``keys``, each key's newest first."""
        if self._read is None:
            self._read = _load(self.path)
        return {k: self._read[k] for k in keys if k in self._read}

    def put_many(self, items: Mapping[tuple[str, str], bytes]) -> None:
        """Gather entries for the file :meth:`close` writes."""
        for (key, variant), data in items.items():
            held = self._written.setdefault(key, {})
            held.pop(variant, None)
            self._written[key] = {variant: data, **held}

    def close(self) -> None:
        """Write the gathered entries as the whole pack (nothing gathered: nothing written)."""
        if not self._written:
            return
        parts = [_MAGIC]
        for key, held in sorted(self._written.items()):
            blob = pack_variants(list(held.items())[:VARIANTS])
            name = key.encode()
            parts += [len(name).to_bytes(2, "big"), name, len(blob).to_bytes(4, "big"), blob]
        temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        try:
            temporary.write_bytes(b"".join(parts))
            os.replace(temporary, self.path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise RemoteError(f"{self.path}: {exc.strerror}") from None
        self._written = {}


def _load(path: Path) -> dict[str, list[bytes]]:
    """Every key's entries in the pack at ``path``."""
    try:
        data = read_regular(path, limit=MAX_PACK)
    except OSError as exc:
        raise RemoteError(f"{path}: {exc.strerror}") from None
    if not data.startswith(_MAGIC):
        raise RemoteError(f"{path} is not a lockgate pack")
    out: dict[str, list[bytes]] = {}
    at = len(_MAGIC)
    while at < len(data):
        size = int.from_bytes(data[at : at + 2], "big")
        name = data[at + 2 : at + 2 + size]
        at += 2 + size
        length = int.from_bytes(data[at : at + 4], "big")
        found = unpack_variants(data[at + 4 : at + 4 + length])
        at += 4 + length
        if found is None or at > len(data):
            raise RemoteError(f"{path} is damaged (cut short, or not a lockgate pack)")
        try:
            out[name.decode("ascii")] = [entry for _, entry in found]
        except UnicodeDecodeError:
            raise RemoteError(f"{path} is damaged (a key is not text)") from None
    return out
