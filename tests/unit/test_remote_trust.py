"""Whose remote entries a run believes (scopes, Ed25519, HMAC), and the blob of a key's variants."""

from __future__ import annotations

import pytest

from lockgate.errors import LockgateError
from lockgate.remote.bundle import pack_variants, unpack_variants
from lockgate.remote.entry import Entry, seal, unseal
from lockgate.remote.settings import RawWanted, trust
from lockgate.remote.trust import Trust, decode_key, new_pair, scoped_name
from lockgate.store.store import NewResult

pytest.importorskip("cryptography")

SECRET = b"a-shared-secret-every-job-holds"
KEY = "0123456789abcdef0123456789abcdef"
ENTRY = Entry(NewResult(KEY, "tested", "app.Cart", True, "2 tests", 0.5, {}, {}, 1.0), {})


def pair() -> tuple[bytes, bytes]:
    private, public = new_pair()
    return decode_key(private, "private"), decode_key(public, "public")


def test_main_trusts_only_its_public_keys_in_its_scope() -> None:
    main_private, main_public = pair()
    pr_private, _ = pair()
    main = Trust(SECRET, "main", ("main",), (main_public,), main_private)
    reader = Trust(SECRET, "main", ("main",), (main_public,))
    assert unseal(reader, "main", KEY, seal(main, "main", ENTRY)) == ENTRY
    refused = [
        seal(Trust(SECRET, "main"), "main", ENTRY),  # HMAC: every reader could make it
        seal(Trust(None, "main", (), (), pr_private), "main", ENTRY),  # another key
        seal(Trust(None, "main", (), (), main_public), "main", ENTRY),  # a public key as private
        seal(Trust(SECRET), None, ENTRY),  # unscoped
    ]
    for data in refused:
        assert unseal(reader, "main", KEY, data) is None
    # a main entry is main's only: not another scope's, not another key's
    assert unseal(Trust(SECRET, "release", ("release", "main"), (main_public,)),
                  "release", KEY, seal(main, "main", ENTRY)) is None  # fmt: skip
    assert unseal(reader, "main", "f" * 32, seal(main, "main", ENTRY)) is None


def test_a_pull_request_reads_its_own_scope_then_main() -> None:
    pr_private, _ = pair()
    _, main_public = pair()
    pr = Trust(SECRET, "pr-7", ("main",), (main_public,), pr_private)
    assert pr.reads() == ["pr-7", "main"]
    assert pr.cannot_write() is None
    assert unseal(pr, "pr-7", KEY, seal(pr, "pr-7", ENTRY)) == ENTRY
    hmac_only = Trust(SECRET, "pr-7", ("main",), (main_public,))
    assert unseal(hmac_only, "pr-7", KEY, seal(hmac_only, "pr-7", ENTRY)) == ENTRY
    # its own key signs nothing main-scoped it would accept either
    assert unseal(pr, "main", KEY, seal(pr, "main", ENTRY)) is None
    assert scoped_name(KEY, "pr-7") != scoped_name(KEY, "main") != scoped_name(KEY, None) == KEY


def test_who_may_write() -> None:
    private, public = pair()
    assert Trust(SECRET).cannot_write() is None
    assert "no scope" in str(Trust(SECRET, None, ("main",), (public,)).cannot_write())
    assert "is trusted" in str(Trust(SECRET, "main", ("main",), (public,)).cannot_write())
    assert Trust(SECRET, "main", ("main",), (public,), private).cannot_write() is None
    assert "neither" in str(Trust(None, "pr-1").cannot_write())


def test_settings_refuse_a_trust_that_cannot_work(monkeypatch: pytest.MonkeyPatch) -> None:
    private, public = new_pair()
    monkeypatch.delenv("LOCKGATE_REMOTE_KEY", raising=False)
    with pytest.raises(LockgateError, match="LOCKGATE_REMOTE_KEY is not set"):
        trust(RawWanted(), "r")
    with pytest.raises(LockgateError, match="needs public_keys"):
        trust(RawWanted(trusted_scopes=("main",)), "r")
    with pytest.raises(LockgateError, match="not an Ed25519 key"):
        trust(RawWanted(trusted_scopes=("main",), public_keys=("bm90IGEga2V5",)), "r")
    monkeypatch.setenv("LOCKGATE_REMOTE_SCOPE", "main")
    monkeypatch.setenv("LOCKGATE_REMOTE_SIGNING_KEY", new_pair()[0])
    with pytest.raises(LockgateError, match="not among public_keys"):
        trust(RawWanted(trusted_scopes=("main",), public_keys=(public,)), "r")
    monkeypatch.setenv("LOCKGATE_REMOTE_SIGNING_KEY", private)
    made = trust(RawWanted(trusted_scopes=("main",), public_keys=(public,)), "r")
    assert made.scope == "main" and made.secret is None and made.cannot_write() is None


def test_a_blob_of_variants_round_trips_and_nonsense_is_refused() -> None:
    variants = [("ab12cd34", b"newest\nentry"), ("ef56ab78", b"")]
    blob = pack_variants(variants)
    assert unpack_variants(blob) == variants
    for nonsense in (b"", b"<html>502</html>", blob[:-1], blob + b"\x05", blob[:25]):
        assert unpack_variants(nonsense) is None
