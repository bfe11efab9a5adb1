"""Whose remote entries a run believes: scopes, and signatures a reader cannot make.

A shared HMAC secret does not stop a pull request from poisoning the default branch (Nx's
CVE-2025-36852, "CREEP"): every job that can verify an entry can also sign one. So entries are
written under a *scope* (the branch or ref that produced them), and a run reads its own scope,
then the ``trusted_scopes`` (protected branches: its base, then the default branch), never
another. An entry in a trusted scope is served only with an Ed25519 signature by one of the
configured public keys; the private key lives in ``LOCKGATE_REMOTE_SIGNING_KEY`` of the jobs
that write those scopes. A job that only holds public keys can verify, not sign.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from lockgate.errors import LockgateError
from lockgate.store import signing

SCOPE_ENV = "LOCKGATE_REMOTE_SCOPE"
SIGNING_KEY_ENV = "LOCKGATE_REMOTE_SIGNING_KEY"
ED25519 = "ed25519"
HMAC = "hmac"


def _crypto() -> SimpleNamespace:
    """The Ed25519 primitives, or a usage error naming the extra that brings them."""
    try:
        # lazy: cryptography is an optional extra (lockgate[sign]); an unscoped remote, or
        # none, never needs it
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise LockgateError(
            "Ed25519 signatures need the cryptography package: pip install 'lockgate[sign]'"
        ) from None
    return SimpleNamespace(
        Private=ed25519.Ed25519PrivateKey,
        Public=ed25519.Ed25519PublicKey,
        serialization=serialization,
        InvalidSignature=InvalidSignature,
    )


def key_id(public: bytes) -> str:
    """A short name for a public key, written beside each signature it made."""
    return hashlib.sha256(public).hexdigest()[:16]


def decode_key(text: str, what: str) -> bytes:
    """A raw 32-byte key from its base64 text; anything else is a usage error."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise LockgateError(
            f"{what} is not an Ed25519 key (base64 of 32 bytes); `lockgate cache keygen` "
            "prints a new pair"
        )
    return raw


def new_pair() -> tuple[str, str]:
    """A new (private, public) Ed25519 key pair, each as base64 of its 32 raw bytes."""
    crypto = _crypto()
    serialization = crypto.serialization
    private = crypto.Private.generate()
    raw = private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return base64.b64encode(raw).decode(), base64.b64encode(public).decode()


def public_of(private: bytes) -> bytes:
    """The public key of a raw private key."""
    crypto = _crypto()
    serialization = crypto.serialization
    key = crypto.Private.from_private_bytes(private)
    raw: bytes = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return raw


def scoped_name(key: str, scope: str | None) -> str:
    """Where ``key``'s entries of ``scope`` lie on the remote: unscoped entries at the key
    itself (as before scopes), scoped ones beside it, apart per scope."""
    if scope is None:
        return key
    return f"{key}-{hashlib.sha256(scope.encode()).hexdigest()[:24]}"


@dataclass(frozen=True)
class Trust:
    """The scopes a run reads and writes and the keys it signs and verifies with.

    Without ``scope`` and ``trusted`` the remote is unscoped and signed by the shared HMAC
    ``secret`` alone, as before scopes.
    """

    secret: bytes | None  # LOCKGATE_REMOTE_KEY
    scope: str | None = None  # where this run writes, and reads first
    trusted: tuple[str, ...] = ()  # protected scopes read after it, in order
    public_keys: tuple[bytes, ...] = ()
    private_key: bytes | None = None  # LOCKGATE_REMOTE_SIGNING_KEY
    # key objects made once per run: "sign" → (key, its id), a key id → its public key
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def scoped(self) -> bool:
        """Whether entries carry a scope (any of scope, trusted scopes set)."""
        return self.scope is not None or bool(self.trusted)

    def reads(self) -> list[str | None]:
        """The scopes to read, in order: this run's own, then the trusted ones."""
        if not self.scoped:
            return [None]
        own = [] if self.scope is None else [self.scope]
        return [*own, *(s for s in self.trusted if s != self.scope)]

    def cannot_write(self) -> str | None:
        """Why this run may not write its scope, or None when it may."""
        if self.scoped and self.scope is None:
            return f"no scope to write to: set {SCOPE_ENV} or [tool.lockgate.remote] scope"
        if self.scope in self.trusted and self.private_key is None:
            return f"the scope {self.scope!r} is trusted and {SIGNING_KEY_ENV} is not set"
        if self.scoped and self.private_key is None and self.secret is None:
            return f"neither {SIGNING_KEY_ENV} nor LOCKGATE_REMOTE_KEY is set"
        return None

    def sign(self, scope: str, message: bytes) -> bytes:
        """The signature line of an entry of ``scope`` (the scope this run writes)."""
        if self.private_key is not None:
            if "sign" not in self._cache:
                made = _crypto().Private.from_private_bytes(self.private_key)
                self._cache["sign"] = (made, key_id(public_of(self.private_key)))
            key, own = self._cache["sign"]
            return f"{ED25519} {own} {key.sign(message).hex()}".encode()
        assert self.secret is not None  # cannot_write said so otherwise
        return f"{HMAC} {hmac.digest(self.secret, message, 'sha256').hex()}".encode()

    def verify(self, scope: str, line: bytes, message: bytes) -> bool:
        """Whether ``line`` signs ``message`` as an entry of ``scope`` may be signed: by a
        configured public key in a trusted scope; also by this run's own key or the HMAC
        secret in its own scope (never in a trusted one: every reader holds those)."""
        try:
            words = line.decode("ascii").split(" ")
        except UnicodeDecodeError:
            return False
        protected = scope in self.trusted
        if words[0] == HMAC and len(words) == 2:
            if protected or self.secret is None or scope != self.scope:
                return False
            expected = hmac.digest(self.secret, message, "sha256").hex()
            return hmac.compare_digest(words[1], expected)
        if words[0] != ED25519 or len(words) != 3:
            return False
        verifier = self._verifier(words[1], protected)
        if verifier is None:
            return False
        try:
            verifier.verify(bytes.fromhex(words[2]), message)
        except (ValueError, _crypto().InvalidSignature):
            return False
        return True

    def _verifier(self, wanted: str, protected: bool) -> Any:
        """The public key named ``wanted`` that may sign in a scope, or None."""
        keys = list(self.public_keys)
        if not protected and self.private_key is not None:
            keys.append(public_of(self.private_key))
        for public in keys:
            if key_id(public) == wanted:
                if wanted not in self._cache:
                    self._cache[wanted] = _crypto().Public.from_public_bytes(public)
                return self._cache[wanted]
        return None


def sealed(
    trust: Trust, scope: str | None, kinds: tuple[str, str], name: str, payload: bytes
) -> bytes:
    """``payload`` as stored under ``name`` in ``scope`` (None: unscoped): a signature line, a
    newline, the payload. ``kinds`` are the signed "tables" (unscoped, scoped) of what it is,
    so that one kind of entry never verifies as another."""
    unscoped, scoped = kinds
    if scope is None:
        assert trust.secret is not None  # settings require it for an unscoped remote
        line = signing.sign(trust.secret, unscoped, [name], [payload]).encode()
    else:
        line = trust.sign(scope, signing.message(scoped, [scope, name], [payload]))
    return line + b"\n" + payload


def opened(
    trust: Trust, scope: str | None, kinds: tuple[str, str], name: str, data: bytes
) -> bytes | None:
    """The payload of what :func:`sealed` stored, or None when it does not verify: moved to
    another name or scope, edited, or signed by no key the reader accepts."""
    unscoped, scoped = kinds
    line, newline, payload = data.partition(b"\n")
    if not newline:
        return None
    if scope is None:
        try:
            text = line.decode("ascii")
        except UnicodeDecodeError:
            return None
        if trust.secret is None or not signing.verify(
            trust.secret, text, unscoped, [name], [payload]
        ):
            return None
    elif not trust.verify(scope, line, signing.message(scoped, [scope, name], [payload])):
        return None
    return payload
