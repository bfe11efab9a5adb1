"""Where a run's units run: ``local``, or a Dask scheduler named ``dask://HOST:PORT`` (plain
TCP) or ``dask+tls://HOST:PORT`` (TLS, with ``distributed``'s security settings)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

LOCAL = "local"
_SCHEMES = {"dask": "tcp", "dask+tls": "tls"}
EXPECTED = '"local", "dask://HOST:PORT" or "dask+tls://HOST:PORT"'


@dataclass(frozen=True)
class Address:
    """A Dask scheduler as the user named it, and as ``distributed`` does."""

    url: str
    scheduler: str  # tcp://HOST:PORT or tls://HOST:PORT
    loopback: bool  # on this machine: plain TCP is then no one else's to listen to

    @property
    def plain(self) -> bool:
        """Unencrypted and unauthenticated."""
        return self.scheduler.startswith("tcp://")


def parse_executor(value: str) -> Address | None:
    """None for ``local``; the scheduler's address; ValueError saying what is expected."""
    if value == LOCAL:
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValueError(f"must be {EXPECTED}") from None
    host = parts.hostname
    if parts.scheme not in _SCHEMES or not host or port is None or parts.path not in ("", "/"):
        raise ValueError(f"must be {EXPECTED}")
    shown = f"[{host}]" if ":" in host else host
    return Address(value, f"{_SCHEMES[parts.scheme]}://{shown}:{port}", _loopback(host))


def _loopback(host: str) -> bool:
    """``localhost`` or a loopback address; any other name may resolve anywhere."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
