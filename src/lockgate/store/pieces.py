"""A result's extras stored as content-addressed pieces, each once however many results share
it; and facts compressed.

The extras of a result are its canonical JSON (``json.dumps(extras, sort_keys=True)``: what its
MAC covers and its variant is the digest of). That text is ``{`` + the entries, joined by
``", "``, + ``}``; the sorted entries are cut into runs, a run ending after an entry whose key's
CRC-32 is a multiple of ``PIECE_ENTRIES``, so a cut depends on that key only and two results
that observed the same files with the same contents share every run between two such keys. A
piece is one run's text, stored once in ``pieces`` under its digest (zlib-compressed); the
results row holds the digests of its pieces in order (``DIGEST`` bytes each). Reading joins
them back into the exact text, and the row's MAC and variant are checked on that text as
before, so a piece that was altered, lost or mixed up never serves a result: a piece whose
bytes do not hash to its digest is damage, and so is a missing one.

On Faker (721 features, 8,696 results of four runs), every tested result sees about 1,500
files, most of them seen alike by hundreds of results: 295 MB of extras become 2.2 MB of
pieces and 2 MB of digest lists.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

# A piece holds this many entries on average: fewer make longer digest lists, more make the
# pieces two results do not share larger (measured on Faker: 16, 32 and 64 give 5.3, 4.2 and
# 3.9 MB, and 32 keeps a small difference small).
PIECE_ENTRIES = 32
DIGEST = 16  # bytes of SHA-256 naming a piece
_BATCH = 500  # rows or digests per statement


class Executes(Protocol):
    """A connection, or the store's :class:`~lockgate.store.db.Database`."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any:
        """Run one statement."""


def digest(piece: bytes) -> bytes:
    """The name of a piece: the first ``DIGEST`` bytes of the SHA-256 of its text."""
    return hashlib.sha256(piece).digest()[:DIGEST]


# what ``json.dumps`` writes for a string (with ``ensure_ascii``), without its overhead
_quoted: Callable[[str], str] = json.encoder.encode_basestring_ascii


def split(extras: dict[str, Any]) -> tuple[str, list[bytes]]:
    """The canonical JSON of ``extras`` and the texts of its pieces, in order; joined (see
    :func:`joined`) they give that JSON back exactly."""
    canonical = json.dumps(extras, sort_keys=True)
    runs: list[bytes] = []
    entries: list[str] = []
    for key in sorted(extras):
        value = extras[key]
        shown = _quoted(value) if isinstance(value, str) else json.dumps(value)
        entries.append(f"{_quoted(key)}: {shown}")
        if zlib.crc32(key.encode("utf-8", "surrogatepass")) % PIECE_ENTRIES == 0:
            runs.append(", ".join(entries).encode())
            entries = []
    if entries:
        runs.append(", ".join(entries).encode())
    if joined(runs) != canonical:  # never seen; one piece then, the text whole
        runs = [canonical[1:-1].encode()] if canonical != "{}" else []
    return canonical, runs


def joined(runs: Sequence[bytes]) -> str:
    """The canonical JSON whose pieces are ``runs``."""
    return "{" + ", ".join(run.decode() for run in runs) + "}"


def packed(runs: Sequence[bytes]) -> bytes:
    """What a results row holds: the digests of its pieces, in order."""
    return b"".join(digest(run) for run in runs)


def digests(stored: object) -> list[bytes] | None:
    """The digests a results row holds; None for a value that cannot be one (damage)."""
    if not isinstance(stored, bytes) or len(stored) % DIGEST:
        return None
    return [stored[i : i + DIGEST] for i in range(0, len(stored), DIGEST)]


def intact(name: object, data: object) -> str | None:
    """The text of a stored piece, or None when its bytes do not hash to its name."""
    if not isinstance(name, bytes) or not isinstance(data, bytes):
        return None
    try:
        run = zlib.decompress(data)
        return run.decode() if digest(run) == name else None
    except (zlib.error, UnicodeDecodeError):
        return None


class Reader:
    """Joins results' pieces back into their extras, reading and checking each piece once."""

    def __init__(self, db: Executes) -> None:
        """Read pieces from ``db``."""
        self._db = db
        self._texts: dict[bytes, str | None] = {}
        self._maps: dict[bytes, dict[str, Any] | None] = {}

    def read(self, stored: Iterable[object]) -> None:
        """Read at once every piece the given rows' values name (one statement per batch)."""
        names = {name for value in stored for name in digests(value) or ()}
        self._fetch(sorted(names - self._texts.keys()))

    def _fetch(self, wanted: list[bytes]) -> None:
        for i in range(0, len(wanted), _BATCH):
            batch = wanted[i : i + _BATCH]
            marks = ",".join("?" * len(batch))
            rows = self._db.execute(
                f"SELECT digest, data FROM pieces WHERE digest IN ({marks})", batch
            ).fetchall()
            self._texts.update((name, None) for name in batch)  # missing: damage
            self._texts.update((name, intact(name, data)) for name, data in rows)

    def extras(self, stored: object) -> str | None:
        """The canonical extras JSON a results row's value names; None when it names a piece
        that is missing or damaged, or is no list of digests."""
        names = digests(stored)
        if names is None:
            return None
        self._fetch(sorted({name for name in names if name not in self._texts}))
        texts = [self._texts[name] for name in names]
        if any(text is None for text in texts):
            return None
        return "{" + ", ".join(t for t in texts if t is not None) + "}"

    def mapping(self, stored: object) -> dict[str, Any] | None:
        """The extras of a row whose :meth:`extras` verified, as a new dict: each piece parsed
        once, however many rows share it (the same dict ``json.loads`` of the joined text
        gives, as the keys of a canonical text are unique); None when a piece is no object."""
        out: dict[str, Any] = {}
        for name in digests(stored) or ():
            if name not in self._maps:
                text = self._texts.get(name)
                try:
                    part = None if text is None else json.loads("{" + text + "}")
                except ValueError:
                    part = None
                self._maps[name] = part if isinstance(part, dict) else None
            part = self._maps[name]
            if part is None:
                return None
            out.update(part)
        return out


def store(db: Executes, runs: Iterable[bytes], checked: set[bytes] | None = None) -> None:
    """Store pieces not yet stored; a stored piece that is damaged is written over. The names
    in ``checked`` (pieces this transaction stored or checked) are left alone, and added to."""
    fresh = {digest(run): run for run in runs}
    if checked is not None:
        fresh = {name: run for name, run in fresh.items() if name not in checked}
        checked.update(fresh)
    names = sorted(fresh)
    for i in range(0, len(names), _BATCH):
        batch = names[i : i + _BATCH]
        marks = ",".join("?" * len(batch))
        found = db.execute(
            f"SELECT digest, data FROM pieces WHERE digest IN ({marks})", batch
        ).fetchall()
        good = {name for name, data in found if intact(name, data) is not None}
        for name in batch:
            if name not in good:
                db.execute(
                    "INSERT OR REPLACE INTO pieces (digest, data) VALUES (?, ?)",
                    (name, zlib.compress(fresh[name], 6)),
                )


def collect(db: Executes) -> int:
    """Delete the pieces no result names; return how many. Called where results are deleted,
    inside their transaction, so a run writing results meanwhile never loses a piece."""
    named: set[bytes] = set()
    for (value,) in db.execute("SELECT pieces FROM results").fetchall():
        named.update(digests(value) or ())
    unnamed = [
        (rowid,)
        for rowid, name in db.execute("SELECT rowid, digest FROM pieces").fetchall()
        if name not in named
    ]
    for rowid in unnamed:
        db.execute("DELETE FROM pieces WHERE rowid = ?", rowid)
    return len(unnamed)


def damaged(db: Executes) -> list[int]:
    """The rowids of pieces whose bytes do not hash to their name."""
    return [
        rowid
        for rowid, name, data in db.execute("SELECT rowid, digest, data FROM pieces").fetchall()
        if intact(name, data) is None
    ]


# -- facts -------------------------------------------------------------------------------


def pack_fact(text: str) -> bytes:
    """A fact as stored: its JSON text compressed (its MAC covers the text)."""
    return zlib.compress(text.encode(), 6)


def unpack_fact(stored: object) -> str | None:
    """A stored fact's text (a store of schema 9 holds it as text); None when unreadable."""
    if isinstance(stored, str):
        return stored
    if not isinstance(stored, bytes):
        return None
    try:
        return zlib.decompress(stored).decode()
    except (zlib.error, UnicodeDecodeError):
        return None


# -- the migration from schema 9 -----------------------------------------------------------


def migrate(db: Executes) -> None:
    """Split every stored result's extras (the column renamed ``pieces``, still the JSON text)
    into pieces, and compress every fact. No row is signed again: a MAC covers the text, which
    reading gives back. A value that is no JSON object is left as a value no read accepts."""
    rowids = [row[0] for row in db.execute("SELECT rowid FROM results").fetchall()]
    checked: set[bytes] = set()
    for i in range(0, len(rowids), _BATCH):
        batch = rowids[i : i + _BATCH]
        marks = ",".join("?" * len(batch))
        rows = db.execute(
            f"SELECT rowid, pieces FROM results WHERE rowid IN ({marks})", batch
        ).fetchall()
        for rowid, text in rows:
            value = b"damaged"  # not a whole number of digests
            if isinstance(text, str):
                try:
                    extras = json.loads(text)
                except ValueError:
                    extras = None
                if isinstance(extras, dict):
                    canonical, runs = split(extras)
                    # a text that was not canonical verified only as that text: keep it whole
                    runs = runs if canonical == text else [text[1:-1].encode()]
                    store(db, runs, checked)
                    value = packed(runs)
            db.execute("UPDATE results SET pieces = ? WHERE rowid = ?", (value, rowid))
    names = [row[0] for row in db.execute("SELECT hash FROM facts").fetchall()]
    for i in range(0, len(names), _BATCH):
        batch = names[i : i + _BATCH]
        marks = ",".join("?" * len(batch))
        facts = db.execute(
            f"SELECT hash, data FROM facts WHERE hash IN ({marks})", batch
        ).fetchall()
        for name, data in facts:
            if isinstance(data, str):
                db.execute("UPDATE facts SET data = ? WHERE hash = ?", (pack_fact(data), name))
