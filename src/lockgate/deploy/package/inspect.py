"""A package's source and what it holds: the files that ship, read once, and the gates'
evidence gathered from them, with each file's secret scan reused from the store or the remote.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import posixpath
import time
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from lockgate import git
from lockgate.deploy.baseline import BASELINE, Baseline
from lockgate.deploy.gates import Evidence, agreed_version, examine
from lockgate.deploy.imports import Imports, declared_dependencies, unresolved
from lockgate.deploy.package.select import dev_only, shipped, test_patterns
from lockgate.deploy.package.worktree import Beside
from lockgate.deploy.secrets import secret_key
from lockgate.deploy.version import version_paths
from lockgate.errors import LockgateError
from lockgate.keys.hashing import digest
from lockgate.plainfiles import read_regular
from lockgate.project.config import Config
from lockgate.project.project import module_names
from lockgate.remote.client import Remote
from lockgate.remote.entry import Entry
from lockgate.store.store import NewResult, Store

__all__ = [
    "EXEC",
    "INFO",
    "SETUP",
    "Package",
    "Shipped",
    "Source",
    "committed",
    "inspect",
    "work_tree",
]

SECRETS = "secrets"  # the store's "layer" of secret scans
SETUP = "SETUP.md"
INFO = "package-info.json"
EXEC = "100755"
_LINK_HOPS = 40  # as the kernel's limit: a longer chain of links is a loop


@dataclass(frozen=True)
class Shipped:
    """One committed file that ships."""

    path: str
    mode: str
    sha: str  # git blob id
    sha256: str
    size: int


@dataclass(frozen=True)
class Source:
    """What a package is built from: a commit's tree, or the work tree on top of a commit."""

    commit: str  # HEAD when the deploy started
    entries: list[git.TreeEntry]
    dirty: bool = False  # True: the work tree as validated, which differs from ``commit``
    data: Mapping[str, bytes] = field(default_factory=dict)  # dirty: the bytes read, by path

    def read(self, root: Path, entries: list[git.TreeEntry]) -> Iterator[bytes]:
        """The content of ``entries``, in order."""
        if self.dirty:
            yield from (self.data[e.path] for e in entries)
        else:
            yield from (data for _, data in git.read_blobs(root, [e.sha for e in entries]))


def committed(root: Path, commit: str) -> Source:
    """The tree of ``commit``."""
    return Source(commit, git.ls_tree(root, commit))


def work_tree(root: Path, base: str, inputs: Mapping[str, str | None]) -> Source:
    """The work tree as validated: tracked files as they are now (deleted ones left out), plus
    the untracked files validation read (``inputs`` present but not tracked).

    Bytes are read once and kept, so what is hashed, gated and shipped is one reading. When the
    result holds exactly ``base``'s files, it is ``base``'s tree (``dirty`` False).
    """
    tracked = git.index_entries(root)
    known = {e.path for e in tracked}
    extra = [p for p, h in inputs.items() if h is not None and p not in known]
    algorithm = git.object_format(root)
    entries: list[git.TreeEntry] = []
    data: dict[str, bytes] = {}
    untracked = [git.TreeEntry("100644", "blob", "", -1, p) for p in extra]
    for entry in [*tracked, *untracked]:
        if entry.mode == git.GITLINK:  # kept so that the package can say it is not shipped
            entries.append(entry)
            continue
        full = root / entry.path
        if full.is_symlink():
            body, mode = os.fsencode(os.readlink(full)), git.SYMLINK
        elif full.is_file():
            body = read_regular(full)
            mode = EXEC if full.stat().st_mode & 0o100 else "100644"
        else:
            continue  # deleted in the work tree: it is not there to ship
        sha = hashlib.new(algorithm, b"blob %d\0" % len(body) + body).hexdigest()
        entries.append(git.TreeEntry(mode, "blob", sha, len(body), entry.path))
        data[entry.path] = body
    entries.sort(key=lambda e: e.path)
    head = committed(root, base)
    same = sorted((e.path, e.mode, e.sha) for e in entries) == sorted(
        (e.path, e.mode, e.sha) for e in head.entries
    )
    return head if same else Source(base, entries, True, data)


@dataclass
class Package:
    """The files that would ship from one source, and what they say."""

    source: Source
    files: list[Shipped]
    evidence: Evidence
    metadata: dict[str, Any]  # the source's pyproject.toml, {} when there is none
    name: str
    notes: list[str] = field(default_factory=list)  # what the package leaves out, and why
    generated: dict[str, bytes] = field(default_factory=dict)  # filled by finish()

    @property
    def version(self) -> str | None:
        """The version all version files agree on, None when they don't or there is none."""
        return agreed_version(self.evidence)

    @property
    def count(self) -> int:
        """Files in the package, generated ones included."""
        return len(self.files) + len(self.generated)

    @property
    def bytes(self) -> int:
        """Total size of the package, generated files included."""
        return sum(f.size for f in self.files) + sum(map(len, self.generated.values()))


def inspect(
    root: Path,
    config: Config,
    source: str | Source,
    jobs: int = 1,
    store: Store | None = None,
    remote: Remote | None = None,
) -> Package:
    """Read every file of ``source`` (a commit, or a :class:`Source`) that would ship, once, and
    gather the gates' evidence.

    With a ``store``, each file's secret scan is reused by content, name and scanner version;
    with a ``remote`` too, the scans the store lacks are read from it (one batch) and the new
    ones written to it: a fresh clone's first deploy need not scan what CI scanned.
    """
    if isinstance(source, str):
        source = committed(root, source)
    tree = source.entries
    patterns = test_patterns(root)
    files, kept = shipped(tree, config, patterns, partial(source.read, root))
    for entry in files:
        if entry.path in (SETUP, INFO):
            raise LockgateError(
                f"{entry.path} is committed, but lockgate generates it for the package; rename it "
                f"or add it to [tool.lockgate.deploy] exclude"
            )
    contents = _read_metadata_files(root, source, config)
    versions = [(p, contents[p]) for p in version_paths(config, contents) if p in contents]
    keys = {secret_key(e.path, e.sha): e for e in files}
    scanning = config.gates.purity != "off"
    known, fetched = _known_scans(keys, store if scanning else None, remote)
    listed: list[Shipped] = []
    hashes: dict[str, str] = {}
    # a dirty source was read from the work tree: nothing to compare it with
    beside = None if source.dirty else Beside(root)
    code: dict[str, bytes | None] = {}  # shipped .py files: source, None for a link
    reading = _hashing(root, source, files, listed, hashes, beside, code)
    baseline = _baseline(root, source) if scanning else None
    evidence = examine(reading, versions, config.gates, jobs, known, baseline)
    evidence.shipped = _as_validated(listed, hashes)
    if beside is not None:
        beside.finish()
        evidence.unseen, evidence.converted = beside.differs, beside.converted
    metadata = _toml(contents["pyproject.toml"]) if "pyproject.toml" in contents else {}
    if config.gates.closure != "off":
        # modules seen through a link to a folder of the package import as the link's path
        # too; their source is read under the real path
        code.update((p, None) for p in evidence.shipped if p.endswith(".py") and p not in code)
        evidence.imports = _imports(root, source, config, code, metadata, store, remote)
    evidence.dev_only = dev_only(config, patterns, kept)
    scans = [_scan_result(k, keys[k], found) for k, (_, found) in evidence.scanned.items()]
    _keep_scans(scans, fetched, store, remote)
    notes = [
        f"submodule {e.path} is not shipped: its files are not in this repository"
        for e in tree
        if e.mode == git.GITLINK
    ]
    notes += [
        f"{path} matches a test-file pattern but {importer} imports it: it ships"
        for path, importer in sorted(kept.items())
    ]
    return Package(source, listed, evidence, metadata, _name(metadata, root), notes)


def _imports(
    root: Path,
    source: Source,
    config: Config,
    code: dict[str, bytes | None],
    metadata: dict[str, Any],
    store: Store | None,
    remote: Remote | None,
) -> list[str]:
    """The shipped ``.py`` files (``code``) that do not parse, and their imports that do not
    resolve within the package, the standard library or the declared dependencies; read from
    the parse facts ``store`` (or else ``remote``) holds for their contents where it does."""
    left_out = [e.path for e in source.entries if e.path.endswith(".py") and e.path not in code]
    requirements = [e for e in source.entries if e.path == "requirements.txt" and e.type == "blob"]
    listed = next(source.read(root, requirements), None) if requirements else None
    declared = declared_dependencies(metadata, listed)
    unshipped = module_names(left_out, config.src)
    return unresolved(code, config.src, Imports(declared, unshipped), store, remote)


def _known_scans(
    keys: Mapping[str, git.TreeEntry], store: Store | None, remote: Remote | None
) -> tuple[dict[str, list[str]], list[NewResult]]:
    """The findings of earlier scans by key, from ``store``, then (what it lacks) from
    ``remote``; and the results fetched from the remote, for the store to keep."""
    if store is None:
        return {}, []
    # a scan observes nothing beyond its key: one result per key, its newest the only one
    known = {k: held[0].detail.splitlines() for k, held in store.lookup(keys).items()}
    fetched: list[NewResult] = []
    if remote is not None:
        got = remote.fetch([k for k in keys if k not in known])
        fetched = [found[0].result for found in got.values() if found[0].result.layer == SECRETS]
        known.update((r.key, r.detail.splitlines()) for r in fetched)
    return known, fetched


def _keep_scans(
    scans: list[NewResult], fetched: list[NewResult], store: Store | None, remote: Remote | None
) -> None:
    """Store the new scans and the fetched ones; publish the new ones to the remote."""
    if store is not None and (scans or fetched):
        store.write(scans + fetched, {}, {}, None)
    if remote is not None and scans:
        now = time.time()
        remote.publish([Entry(dataclasses.replace(r, created=now), {}) for r in scans])


def _as_validated(files: list[Shipped], hashes: dict[str, str]) -> dict[str, str | None]:
    """Shipped path → the content hash validation saw there: links are followed inside the
    package, as the file system followed them; a link leading nowhere in it (or in a loop)
    has None."""
    modes = {f.path: f.mode for f in files}

    def follow(path: str) -> str | None:
        for _ in range(_LINK_HOPS):
            if path not in modes:
                return None
            if modes[path] != git.SYMLINK:
                return hashes[path]
            path = posixpath.normpath(posixpath.join(posixpath.dirname(path), hashes[path]))
        return None

    found = {f.path: follow(f.path) for f in files}
    # A link to a folder of the package: validation read its files through the link's path.
    for _ in range(_LINK_HOPS):
        added = {}
        for link in (f.path for f in files if f.mode == git.SYMLINK):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(link), hashes[link]))
            inside = target + "/"
            for path, value in found.items():
                if path.startswith(inside) and f"{link}/{path[len(inside) :]}" not in found:
                    added[f"{link}/{path[len(inside) :]}"] = value
        if not added:
            break
        found.update(added)
    return found


def _read_metadata_files(root: Path, source: Source, config: Config) -> dict[str, bytes]:
    """The source's version files and pyproject.toml, whether they ship or not."""
    blobs = {e.path: e for e in source.entries if e.type == "blob" and e.mode != git.SYMLINK}
    wanted = [
        blobs[p]
        for p in dict.fromkeys([*version_paths(config, blobs), "pyproject.toml"])
        if p in blobs
    ]
    return {e.path: data for e, data in zip(wanted, source.read(root, wanted), strict=True)}


def _baseline(root: Path, source: Source) -> Baseline | None:
    """The source's ``.secrets.baseline`` (at the root, as detect-secrets writes it), if any."""
    found = [e for e in source.entries if e.path == BASELINE and e.type == "blob"]
    if not found:
        return None
    if found[0].mode == git.SYMLINK:
        raise LockgateError(f"{BASELINE} is a symbolic link; commit the baseline file itself")
    (data,) = source.read(root, found)
    return Baseline.parse(data)


def _scan_result(key: str, entry: git.TreeEntry, found: list[str]) -> NewResult:
    inputs = {"path": entry.path, "blob": entry.sha}
    return NewResult(key, SECRETS, entry.path, not found, "\n".join(found), 0.0, {}, inputs)


def _hashing(
    root: Path,
    source: Source,
    entries: list[git.TreeEntry],
    into: list[Shipped],
    hashes: dict[str, str],
    beside: Beside | None,
    code: dict[str, bytes | None],
) -> Iterator[tuple[str, str, str, bytes]]:
    """Stream ``(path, mode, blob id, data)`` of ``entries``, recording each as :class:`Shipped`
    and its lockgate content hash (a link's: its target) in ``hashes``, and comparing it with
    the work tree (``beside``); the source of ``.py`` files goes into ``code``."""
    for entry, data in zip(entries, source.read(root, entries), strict=True):
        if entry.path.endswith(".py"):
            code[entry.path] = None if entry.mode == git.SYMLINK else data
        if beside is not None:
            beside.add(entry.path, entry.mode, entry.sha, data)
        sha256 = hashlib.sha256(data).hexdigest()
        into.append(Shipped(entry.path, entry.mode, entry.sha, sha256, len(data)))
        hashes[entry.path] = os.fsdecode(data) if entry.mode == git.SYMLINK else digest(data)
        yield entry.path, entry.mode, entry.sha, data


def _toml(data: bytes) -> dict[str, Any]:
    try:
        return tomllib.loads(data.decode("utf-8", errors="replace"))
    except tomllib.TOMLDecodeError:
        return {}  # the version gate reports the broken file


def _name(metadata: dict[str, Any], root: Path) -> str:
    name = metadata.get("project", {}).get("name") or metadata.get("tool", {}).get(
        "poetry", {}
    ).get("name")
    return str(name) if name else root.name
