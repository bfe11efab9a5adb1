"""Secrets among the files that would ship: by file name, and by content with detect-secrets.

Each file's scan is stored under :func:`secret_key` (its content, its name and the scanner), so
a deploy scans only what no earlier one scanned; many files spread over worker processes.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from fnmatch import translate
from importlib import metadata
from multiprocessing import get_context

from lockgate import __version__
from lockgate.deploy.baseline import Baseline

__all__ = ["SecretScan", "scan_secrets", "secret_by_name", "secret_key", "sift"]


def _names(*patterns: str) -> re.Pattern[str]:
    """One regex for file-name globs (matched against lower-cased base names)."""
    return re.compile("|".join(translate(p) for p in patterns))


_CHUNK = 100  # text files per secret-scanning task, at most
_CHUNK_CHARS = 500_000  # characters per task, about: Faker's locale files are 100 KB and more
_POOL_AFTER = 4  # chunks scanned in this process before worker processes are worth starting
# "hashed": each stored finding carries its hashed secret, which .secrets.baseline matches on.
_SCANNER = (
    f"lockgate {__version__}, detect-secrets {metadata.version('detect-secrets')}, defaults, hashed"
)
# One stored finding: "path:line (type)", then the secret's SHA-1 (as detect-secrets hashes it)
# when it came from detect-secrets; the hash is never shown.
_FINDING = re.compile(r"^(?P<shown>.*\((?P<kind>[^()]*)\))(?: (?P<hash>[0-9a-f]{40}))?$")

_KEY_FILES = _names("id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", "*.p12", "*.pfx", "*.jks")
_KEY_FILES_UNLESS_PUBLIC = _names("*.pem", "*.key")
_CREDENTIAL_FILES = _names(
    "credentials",
    "credentials.json",
    "credentials.yml",
    "credentials.yaml",
    "credentials.ini",
    "*-credentials.json",
    "*_credentials.json",
    ".git-credentials",
    ".netrc",
    "_netrc",
    ".pypirc",
    ".pgpass",
    ".htpasswd",
)


def secret_key(path: str, blob: str) -> str:
    """The store key of one file's secret scan: its content, its name and the scanner."""
    return hashlib.sha256("\0".join(("secrets", _SCANNER, path, blob)).encode()).hexdigest()


def secret_by_name(path: str, data: bytes) -> str | None:
    """What a file is by its name alone (a private key, credentials), None when nothing."""
    name = posixpath.basename(path).lower()
    if _KEY_FILES.match(name) and not name.endswith(".pub"):
        return "private key file"
    # Certificate bundles (CA files) are public; only a key inside makes these secret.
    if _KEY_FILES_UNLESS_PUBLIC.match(name) and (
        b"PRIVATE KEY" in data or b"-----BEGIN " not in data
    ):
        return "private key file"
    if _CREDENTIAL_FILES.match(name):
        return "credentials file"
    return None


def sift(found: Mapping[str, list[str]], baseline: Baseline | None) -> tuple[list[str], int]:
    """The findings to report, without their hashes, and how many of them ``baseline`` allows.

    ``found`` maps each path to its stored findings, in file order.
    """
    secrets: list[str] = []
    allowed = 0
    shown_once: set[str] = set()
    for path, items in found.items():
        for item in items:
            match = _FINDING.match(item)
            shown, kind, hashed = (
                match.group("shown", "kind", "hash") if match else (item, "", None)
            )
            if baseline is not None and hashed and baseline.allows(path, hashed, kind):
                allowed += 1
            elif shown not in shown_once:  # two secrets of one type on a line: one problem
                shown_once.add(shown)
                secrets.append(shown)
    return secrets, allowed


class SecretScan:
    """detect-secrets over many files: in this process for a few, in ``jobs`` processes for many."""

    def __init__(self, jobs: int) -> None:
        self._jobs = jobs
        self._chunks: list[list[tuple[str, str, str]]] = [[]]
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[tuple[list[tuple[str, str, str]], Future[list[list[str]]]]] = []
        self._first: dict[tuple[str, str], str] = {}  # (extension, blob id) -> first path
        self._twins: list[tuple[str, str, str]] = []  # (key, path, first path of its text)
        self._chars = 0  # in the last chunk

    def __enter__(self) -> SecretScan:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def add(self, key: str, path: str, text: str, blob: str) -> None:
        """Queue one text file, ``text`` the content of git blob ``blob``."""
        # detect-secrets reads a file's name only for its extension (the keyword plugin's
        # patterns and the allowlist's comment syntax are by file type): a blob queued under
        # another name with the same extension is found the same, but for the path
        first = self._first.setdefault((posixpath.splitext(path)[1], blob), path)
        if first != path:
            self._twins.append((key, path, first))
            return
        self._chunks[-1].append((key, path, text))
        self._chars += len(text)
        if len(self._chunks[-1]) < _CHUNK and self._chars < _CHUNK_CHARS:
            return
        self._chunks.append([])
        self._chars = 0
        if self._pool is None and self._jobs > 1 and len(self._chunks) > _POOL_AFTER:
            # Spawning workers costs a few hundred milliseconds: only worth it for many files.
            self._pool = ProcessPoolExecutor(self._jobs, mp_context=get_context("spawn"))
        self._submit()

    def _submit(self) -> None:
        """Hand the full chunks to the workers, once they run."""
        if self._pool is not None:
            for chunk in filter(None, self._chunks):
                files = [(path, text) for _, path, text in chunk]
                self._futures.append((chunk, self._pool.submit(scan_secrets, files)))
            self._chunks = [[]]

    def results(self) -> dict[str, tuple[str, list[str]]]:
        """Key -> (path, findings) of every queued file."""
        self._submit()  # the last chunk too: this process would only wait for the workers
        done = [(chunk, future.result()) for chunk, future in self._futures]
        done += [
            (chunk, scan_secrets([(path, text) for _, path, text in chunk]))
            for chunk in filter(None, self._chunks)
        ]
        out = {
            key: (path, items)
            for chunk, found in done
            for (key, path, _), items in zip(chunk, found, strict=True)
        }
        by_path = {path: items for path, items in out.values()}
        for key, path, first in self._twins:
            # each finding is "first:line (kind) hash"
            out[key] = (path, [path + item[len(first) :] for item in by_path[first]])
        return out


def scan_secrets(files: list[tuple[str, str]]) -> list[list[str]]:
    """detect-secrets' findings per ``(path, text)`` file, as ``path:line (kind) hash`` (the
    secret's SHA-1, which .secrets.baseline lists), never values."""
    # lazy: detect-secrets costs ~60 ms, a fifth of a no-change deploy, which scans nothing
    from lockgate.deploy.scanner import scan

    return scan(files)
