"""The per-user secret that authenticates stored rows, and the MAC made with it.

The secret never lives in the repository or the store: ``LOCKGATE_KEY`` when set, else a key
file of the user's (``$XDG_CONFIG_HOME/lockgate/key``, default ``~/.config/lockgate/key``)
created on first use with mode 0600. Whoever can write the store but not read that key cannot
make a row lockgate will serve.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path

from lockgate.errors import LockgateError

KEY_ENV = "LOCKGATE_KEY"
# As long as the shortest key file lockgate accepts (it makes 64 hex digits): a short secret is
# recovered offline from one signed row, and then any row can be forged (issue 20).
MIN_KEY_CHARS = 32
Field = str | int | float | None


def key_file() -> Path:
    """Where the user's key lives when ``LOCKGATE_KEY`` is not set."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "lockgate" / "key"


def secret() -> bytes:
    """``LOCKGATE_KEY``, else the key file's contents (made on first use)."""
    value = os.environ.get(KEY_ENV)
    if value:
        if len(value.strip()) < MIN_KEY_CHARS:
            raise LockgateError(
                f"{KEY_ENV} is too short ({len(value.strip())} characters, at least "
                f"{MIN_KEY_CHARS}); set it to a random secret such as the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`, or unset it to use "
                "lockgate's key file"
            )
        return value.encode()
    path = key_file()
    try:
        return _read(path)
    except FileNotFoundError:
        _create(path)
        return _read(path)


def _read(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            info = os.fstat(fh.fileno())
            data = fh.read().strip()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise LockgateError(f"{path}: cannot read lockgate's key file ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise LockgateError(f"{path}: lockgate's key file is not a regular file")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise LockgateError(
            f"{path}: lockgate's key file is open to other users (mode {mode:04o}); "
            f"run `chmod 600 {path}`"
        )
    if len(data) < MIN_KEY_CHARS:
        raise LockgateError(
            f"{path}: lockgate's key file is too short; delete it and lockgate makes a new one"
        )
    return data


def _create(path: Path) -> None:
    # Written whole under a private temporary name, then linked into place: the link fails
    # if another run made the key first (theirs is kept), and no run ever reads half a key.
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".key-{os.getpid()}-{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, (secrets.token_hex(32) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    except OSError as exc:
        raise LockgateError(
            f"{path}: cannot create lockgate's key file ({exc.strerror}); "
            f"set {KEY_ENV} or XDG_CONFIG_HOME"
        ) from None


def message(table: str, fields: Sequence[Field], blobs: Sequence[bytes] = ()) -> bytes:
    """The bytes a signature over one row of ``table`` covers: its scalar fields, then its
    blobs."""
    # JSON keeps the scalars unambiguous (floats as their shortest exact repr); every part
    # is length-prefixed so that no two rows share a message. The table name stops a row of
    # one table from passing as a row of another.
    head = json.dumps([table, *fields]).encode()
    parts = [len(head).to_bytes(8, "big"), head]
    for blob in blobs:
        parts += [len(blob).to_bytes(8, "big"), blob]
    return b"".join(parts)


def sign(key: bytes, table: str, fields: Sequence[Field], blobs: Sequence[bytes] = ()) -> str:
    """HMAC-SHA256 over one row of ``table`` (see :func:`message`)."""
    return hmac.digest(key, message(table, fields, blobs), "sha256").hex()


def verify(
    key: bytes, mac: object, table: str, fields: Sequence[Field], blobs: Sequence[bytes] = ()
) -> bool:
    """True when ``mac`` is the row's MAC under ``key``."""
    return isinstance(mac, str) and hmac.compare_digest(mac, sign(key, table, fields, blobs))
