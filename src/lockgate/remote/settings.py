"""Which remote a run uses: ``--remote``/``--no-remote``, ``LOCKGATE_REMOTE``, the configuration."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from lockgate.errors import LockgateError

REMOTE_ENV = "LOCKGATE_REMOTE"
REMOTE_KEY_ENV = "LOCKGATE_REMOTE_KEY"
SCHEMES = ("redis", "rediss", "unix", "file")
MIN_SECRET = 16


@dataclass(frozen=True)
class Settings:
    """A remote to use: its URL, the secret that signs its entries, whether to write."""

    url: str
    secret: bytes
    read_only: bool

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


def resolve(
    flag_url: str | None, no_remote: bool, config_url: str | None, read_only: bool
) -> Settings | None:
    """The remote this run uses, or None; a URL lockgate cannot use, or one without a signing
    secret, is a usage error (an unsigned shared cache lets anyone who can write it poison
    every build that reads it)."""
    if no_remote:
        return None
    url = flag_url or os.environ.get(REMOTE_ENV) or config_url
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # an unclosed [IPv6 address, say
        raise LockgateError(f"remote {redact(url)}: not a URL ({exc})") from None
    if parts.scheme not in SCHEMES:
        raise LockgateError(
            f"remote {redact(url)}: unknown scheme {parts.scheme or '(none)'!r}; "
            "use redis://, rediss://, unix:// or file:///path"
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
    secret = os.environ.get(REMOTE_KEY_ENV, "")
    if len(secret) < MIN_SECRET:
        why = "is not set" if not secret else f"is shorter than {MIN_SECRET} characters"
        raise LockgateError(
            f"remote {redact(url)}: {REMOTE_KEY_ENV} {why}; every machine sharing the remote "
            "needs the same signing secret (or pass --no-remote)"
        )
    return Settings(url, secret.encode(), read_only)
