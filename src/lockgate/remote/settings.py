"""Which remote a run uses: ``--remote``/``--no-remote``, ``LOCKGATE_REMOTE``, the configuration."""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from lockgate.errors import LockgateError
from lockgate.remote.trust import SCOPE_ENV, SIGNING_KEY_ENV, Trust, decode_key, public_of

REMOTE_ENV = "LOCKGATE_REMOTE"
REMOTE_KEY_ENV = "LOCKGATE_REMOTE_KEY"
HTTP_SCHEMES = tuple(
    f"{layout}{scheme}"
    for layout in ("", "webdav+", "turbo+", "nx+")
    for scheme in ("http", "https")
)
SCHEMES = ("redis", "rediss", "unix", "file", *HTTP_SCHEMES)
MIN_SECRET = 16


class Wanted(Protocol):
    """``[tool.lockgate.remote]``: the configuration's model, or the raw table read before
    the no-change path (which does not import the models)."""

    @property
    def url(self) -> str | None: ...
    @property
    def read_only(self) -> bool: ...
    @property
    def scope(self) -> str | None: ...
    @property
    def trusted_scopes(self) -> Sequence[str]: ...
    @property
    def public_keys(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class RawWanted:
    """The remote table as written (the configuration checks its types on the full path):
    what a run reads the remote's record of its tree with (pipeline/align.py), and goes on
    with on the full path, where a table of the wrong types is refused before any write."""

    url: str | None = None
    read_only: bool = False
    scope: str | None = None
    trusted_scopes: Sequence[str] = ()
    public_keys: Sequence[str] = ()

    @classmethod
    def of(cls, table: object) -> RawWanted:
        """The fields of ``table`` that have the right type; the others left at defaults."""
        if not isinstance(table, dict):
            return cls()

        def text(name: str) -> str | None:
            value = table.get(name)
            return value if isinstance(value, str) and value else None

        def texts(name: str) -> tuple[str, ...]:
            value = table.get(name)
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                return ()
            return tuple(str(v) for v in value)

        return cls(
            text("url"),
            table.get("read_only") is True,  # a run opened from this writes nothing then
            text("scope"),
            texts("trusted_scopes"),
            texts("public_keys"),
        )


@dataclass(frozen=True)
class Settings:
    """A remote to use: its URL (or the pack file), whom to trust, whether to write."""

    url: str
    trust: Trust
    read_only: bool
    pack: Path | None = None  # `cache push|pull --pack`: one file instead of a server

    @property
    def shown(self) -> str:
        """The URL as messages name it: without its password."""
        return redact(self.url)


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL at all: hide whatever sits between ':' and '@'
        return re.sub(r"(//[^/:@]*:)[^/@]*@", r"\1***@", url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def resolve(flag_url: str | None, no_remote: bool, wanted: Wanted) -> Settings | None:
    """The remote this run uses, or None; a URL lockgate cannot use, or one without a signing
    secret, is a usage error (an unsigned shared cache lets anyone who can write it poison
    every build that reads it)."""
    if no_remote:
        return None
    url = flag_url or os.environ.get(REMOTE_ENV) or wanted.url
    if not url:
        return None
    _check_url(url)
    return Settings(url, trust(wanted, redact(url)), wanted.read_only)


def for_pack(path: Path, wanted: Wanted) -> Settings:
    """The settings of ``cache push|pull --pack PATH``: the remote's trust, one file."""
    return Settings(str(path), trust(wanted, str(path)), False, path)


def _check_url(url: str) -> None:
    """Refuse a URL no backend can use."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # an unclosed [IPv6 address, say
        raise LockgateError(f"remote {redact(url)}: not a URL ({exc})") from None
    if parts.scheme not in SCHEMES:
        raise LockgateError(
            f"remote {redact(url)}: unknown scheme {parts.scheme or '(none)'!r}; "
            "use redis://, rediss://, unix://, file:///path, http(s)://, "
            "webdav+http(s)://, turbo+http(s):// or nx+http(s)://"
        )
    try:
        parts.port  # noqa: B018 -- parsing it is the check
    except ValueError:
        raise LockgateError(f"remote {redact(url)}: the port is not a number") from None
    if parts.scheme == "file" and (
        parts.netloc not in ("", "localhost") or not parts.path.startswith("/")
    ):
        raise LockgateError(f"remote {redact(url)}: a folder is file:///absolute/path")
    database = parts.path.strip("/")
    if parts.scheme in ("redis", "rediss") and database and not database.isdigit():
        # redis-py would quietly use database 0, mixing this cache with another's
        raise LockgateError(
            f"remote {redact(url)}: the database {database!r} is not a number (redis://host/0)"
        )
    if parts.scheme in HTTP_SCHEMES and not parts.hostname:
        raise LockgateError(f"remote {redact(url)}: no host (http://host:port/path)")


def trust(wanted: Wanted, shown: str) -> Trust:
    """Whose entries a run believes and how it signs its own (see lockgate.remote.trust).

    Unscoped, the shared secret is required; scoped, it is optional (it signs only a scope
    that no one else trusts), and trusted scopes need public keys.
    """
    secret = os.environ.get(REMOTE_KEY_ENV, "")
    scope = os.environ.get(SCOPE_ENV) or wanted.scope
    scoped = scope is not None or bool(wanted.trusted_scopes)
    if (secret or not scoped) and len(secret) < MIN_SECRET:
        why = "is not set" if not secret else f"is shorter than {MIN_SECRET} characters"
        raise LockgateError(
            f"remote {shown}: {REMOTE_KEY_ENV} {why}; every machine sharing the remote "
            "needs the same signing secret (or pass --no-remote)"
        )
    if wanted.trusted_scopes and not wanted.public_keys:
        raise LockgateError(
            f"remote {shown}: trusted_scopes needs public_keys, the keys that sign them "
            "(`lockgate cache keygen` prints a pair)"
        )
    publics = tuple(decode_key(k, "a key of public_keys") for k in wanted.public_keys)
    private_text = os.environ.get(SIGNING_KEY_ENV)
    private = decode_key(private_text, SIGNING_KEY_ENV) if private_text else None
    if (publics or private) and importlib.util.find_spec("cryptography") is None:
        # said before the run, not at its first remote read (found, not imported: the
        # no-change path checks this too and never verifies anything)
        raise LockgateError(
            f"remote {shown}: Ed25519 signatures need the cryptography package: "
            "pip install 'lockgate[sign]'"
        )
    if private is not None and scope in wanted.trusted_scopes and public_of(private) not in publics:
        raise LockgateError(
            f"remote {shown}: the public key of {SIGNING_KEY_ENV} is not among public_keys, "
            f"so no run would trust what it writes to {scope!r}"
        )
    return Trust(secret.encode() or None, scope, tuple(wanted.trusted_scopes), publics, private)
