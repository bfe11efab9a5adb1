"""Facts stored apart on the remote (remote/shared.py), through the client on a real folder
remote: written once, named by the entries, verified and hashed before an entry is whole."""

from __future__ import annotations

import json
from pathlib import Path

from lockgate.keys.hashing import digest
from lockgate.remote import shared
from lockgate.remote.client import Remote
from lockgate.remote.entry import Entry
from lockgate.remote.settings import Settings
from lockgate.remote.trust import Trust
from lockgate.store.store import NewResult

SECRET = b"a-shared-secret-every-job-holds"
MEMBERS = json.dumps([f"pkg/mod{i}/__init__.py" for i in range(100)])
BIG = f"probes/{digest(MEMBERS.encode())}"
SMALL_TEXT = json.dumps(["a.py"])
SMALL = f"probes/{digest(SMALL_TEXT.encode())}"


def entry(key: str, layer: str) -> Entry:
    extras: dict[str, str | None] = {f"\0set:{BIG[7:]}": "s1", f"\0set:{SMALL[7:]}": "s2"}
    result = NewResult(key, layer, "app.F", True, "ok", 0.1, extras, {}, 1.0)
    return Entry(result, {BIG: MEMBERS, SMALL: SMALL_TEXT, "owners/x": "[]"})


def remote(share: Path, secret: bytes = SECRET) -> Remote:
    return Remote(Settings(share.as_uri(), Trust(secret), read_only=False))


def test_a_large_fact_named_by_its_digest_is_written_once_and_read_back(tmp_path: Path) -> None:
    assert shared.shareable(BIG, MEMBERS)
    assert not shared.shareable(SMALL, SMALL_TEXT)  # small: stays in the entry
    assert not shared.shareable("owners/x", MEMBERS)  # not named by its text's digest
    assert not shared.shareable(f"probes/{'0' * 32}", MEMBERS)
    written = [entry("a" * 32, "imported"), entry("b" * 32, "tested")]
    writer = remote(tmp_path)
    assert writer.publish(written) == 2
    objects = list(tmp_path.rglob(f"{shared.name_of(BIG)}.v/{shared.VARIANT}"))
    assert len(objects) == 1
    for path in tmp_path.rglob("*"):  # the entries name the big fact, they do not carry it
        if path.is_file() and path not in objects:
            assert len(path.read_bytes()) < len(MEMBERS) // 2
    reader = remote(tmp_path)
    found = reader.fetch(["a" * 32, "b" * 32])
    assert {k: [e.facts for e in v] for k, v in found.items()} == {
        e.result.key: [e.facts] for e in written
    }
    assert reader.errors == 0


def test_an_entry_whose_fact_is_forged_or_gone_is_not_used(tmp_path: Path) -> None:
    remote(tmp_path).publish([entry("a" * 32, "imported")])
    (path,) = tmp_path.rglob(f"{shared.name_of(BIG)}.v/{shared.VARIANT}")
    other = json.dumps(["evil.py"] * 100)
    # signed with the key, but its text is not the one its name is the digest of
    path.write_bytes(shared.seal(Trust(SECRET), None, BIG, other))
    assert shared.unseal(Trust(SECRET), None, BIG, path.read_bytes()) is None
    reader = remote(tmp_path)
    assert reader.fetch(["a" * 32]) == {}
    assert reader.errors == 1
    # signed by another key: refused unread
    path.write_bytes(shared.seal(Trust(b"another secret"), None, BIG, MEMBERS))
    assert remote(tmp_path).fetch(["a" * 32]) == {}
    path.unlink()
    assert remote(tmp_path).fetch(["a" * 32]) == {}
    # a fact object never verifies as another fact's
    moved = shared.seal(Trust(SECRET), None, BIG, MEMBERS)
    assert shared.unseal(Trust(SECRET), None, SMALL, moved) is None
