"""A key's variants as one blob, for stores that hold one blob per key (HTTP, a pack file)."""

from __future__ import annotations

_MAGIC = b"lockgate-variants/1\n"


def pack_variants(variants: list[tuple[str, bytes]]) -> bytes:
    """One blob of a key's (variant, entry) pairs, newest first."""
    parts = [_MAGIC]
    for variant, entry in variants:
        name = variant.encode()
        parts += [len(name).to_bytes(1, "big"), name, len(entry).to_bytes(4, "big"), entry]
    return b"".join(parts)


def unpack_variants(blob: bytes) -> list[tuple[str, bytes]] | None:
    """The (variant, entry) pairs of a blob, newest first, or None when it is not one of
    lockgate's (a server's error page, a truncated body)."""
    if not blob.startswith(_MAGIC):
        return None
    out, at = [], len(_MAGIC)
    while at < len(blob):
        size = blob[at]
        name = blob[at + 1 : at + 1 + size]
        at += 1 + size
        length = int.from_bytes(blob[at : at + 4], "big")
        entry = blob[at + 4 : at + 4 + length]
        at += 4 + length
        if len(name) != size or len(entry) != length or at > len(blob):
            return None
        try:
            out.append((name.decode("ascii"), entry))
        except UnicodeDecodeError:
            return None
    return out
