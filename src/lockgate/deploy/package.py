"""The deploy package: which files ship, the generated files, the branch commit, --out.

A package is built from a :class:`Source`: HEAD's tree, or (``--allow-dirty``) the work tree as
validated. Nothing here touches HEAD, the index, the work tree or untracked files: blobs are read
from the object store (or the work tree's bytes, read once), the tree is built in a temporary
index, and the branch moves by compare-and-swap.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import posixpath
import shutil
import tarfile
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pathspec import GitIgnoreSpec

from lockgate import __version__, git
from lockgate.deploy.baseline import BASELINE, Baseline
from lockgate.deploy.gates import (
    Evidence,
    GateResult,
    agreed_version,
    examine,
    is_env_file,
    secret_key,
    version_paths,
)
from lockgate.errors import LockgateError
from lockgate.keys.hashing import digest
from lockgate.model import AlignResult
from lockgate.project.config import Config
from lockgate.project.facts import read_facts
from lockgate.project.graph import ImportGraph
from lockgate.project.project import module_names
from lockgate.project.pytestconf import DEFAULT_PYTHON_FILES, matches, python_files
from lockgate.remote.client import Remote
from lockgate.remote.entry import Entry
from lockgate.store.store import NewResult, Store

SECRETS = "secrets"  # the store's "layer" of secret scans

__all__ = [
    "DEV_EXCLUDES",
    "Package",
    "Source",
    "commit",
    "committed",
    "finish",
    "inspect",
    "select",
    "work_tree",
    "write_out",
]

# Tracked but never shipped: tests, CI, caches, editor files, test-runner and lockgate
# configuration (gitignore syntax). setup.cfg is not among them: a build can need it.
# Test files elsewhere are found by pytest's python_files patterns (see select).
DEV_EXCLUDES: tuple[str, ...] = (
    "tests/",
    "test/",
    "conftest.py",
    ".github/",
    ".gitlab-ci.yml",
    ".ci/",
    ".circleci/",
    "__pycache__/",
    ".pytest_cache/",
    ".mypy_cache/",
    ".ruff_cache/",
    "*.pyc",
    ".vscode/",
    ".idea/",
    "*.swp",
    ".editorconfig",
    ".pre-commit-config.yaml",
    "tox.ini",
    "noxfile.py",
    "pytest.ini",
    ".pytest.ini",
    ".coveragerc",
    "lockgate.toml",
    ".lockgate/",
    ".gitignore",
    ".secrets.baseline",
)
SETUP = "SETUP.md"
INFO = "package-info.json"
_EXEC = "100755"
_LINK_HOPS = 40  # as the kernel's limit: a longer chain of links is a loop
_PIP_INSTALL = ("python -m venv .venv", ". .venv/bin/activate", "python -m pip install .")


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
            body = full.read_bytes()
            mode = _EXEC if full.stat().st_mode & 0o100 else "100644"
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


def select(
    entries: list[git.TreeEntry],
    config: Config,
    test_patterns: Sequence[str] = DEFAULT_PYTHON_FILES,
) -> list[git.TreeEntry]:
    """The tracked files that ship: built-in dev excludes, test files (``.py`` files matching
    ``test_patterns``, pytest's ``python_files``, at any depth) and ``deploy.exclude`` removed.

    ``.env`` files are never removed here, whatever the excludes say: the purity gate must see
    a committed environment file and block it rather than let it sit unnoticed in the history.
    Submodules (gitlinks) never ship: they have no content in this repository.
    """
    excluded = _excluded(config)
    return [
        e
        for e in entries
        if e.mode != git.GITLINK
        and (is_env_file(e.path) or not (_is_test_file(e.path, test_patterns) or excluded(e.path)))
    ]


def _excluded(config: Config) -> Callable[[str], bool]:
    """Whether the built-in dev excludes or ``deploy.exclude`` remove a path."""
    built_in = _dev_spec(config)
    user = GitIgnoreSpec.from_lines(config.deploy.exclude)
    return lambda path: built_in.match_file(path) or user.match_file(path)


def _is_test_file(path: str, patterns: Sequence[str]) -> bool:
    return path.endswith(".py") and matches(path, list(patterns))


def test_patterns(root: Path) -> list[str]:
    """pytest's defaults and the project's own ``python_files`` (from the configuration pytest
    would choose at the root)."""
    return list(dict.fromkeys([*DEFAULT_PYTHON_FILES, *python_files(root)]))


def _imported_tests(
    root: Path,
    source: Source,
    config: Config,
    shipped: list[git.TreeEntry],
    candidates: list[git.TreeEntry],
) -> dict[str, str]:
    """Test-named files (``candidates``) that shipped code imports, directly or through another
    one of them: file → a shipped file importing it. Leaving one out would break the package.

    Only shipped modules that mention a candidate's name are parsed: the others cannot import it.
    """
    if not candidates:
        return {}
    paths = [e.path for e in source.entries if e.path.endswith(".py")]
    modules = module_names(paths, config.src)
    module_of = {path: name for name, path in modules.items()}
    by_path = {e.path: e for e in candidates}
    stems = [posixpath.basename(e.path)[:-3].encode() for e in candidates]
    code = [e for e in shipped if e.path.endswith(".py") and e.mode != git.SYMLINK]
    facts = {
        e.path: read_facts(data)
        for e, data in zip(code, source.read(root, code), strict=True)
        if any(stem in data for stem in stems)
    }
    graph = ImportGraph(modules, module_of, facts)
    kept: dict[str, str] = {}
    queue = list(facts)
    while queue:
        path = queue.pop()
        for target in sorted(graph.imports_of(path)):
            if target in by_path and target not in kept:
                kept[target] = path
                (data,) = source.read(root, [by_path[target]])
                facts[target] = read_facts(data)
                queue.append(target)
    return kept


def _dev_spec(config: Config) -> GitIgnoreSpec:
    """The built-in dev excludes and the configured test roots: validated, never shipped."""
    roots = [f"/{t.strip('/')}/" for t in config.tests if t.strip("/") not in ("", ".")]
    return GitIgnoreSpec.from_lines([*DEV_EXCLUDES, *roots])


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
    shipped = select(tree, config, patterns)
    chosen = {e.path for e in shipped}
    # What only the test-file patterns removed: named like tests, possibly imported by code.
    excluded = _excluded(config)
    candidates = [
        e
        for e in tree
        if e.path not in chosen
        and e.mode != git.GITLINK
        and _is_test_file(e.path, patterns)
        and not (is_env_file(e.path) or excluded(e.path))
    ]
    kept = _imported_tests(root, source, config, shipped, candidates)
    if kept:
        shipped = [e for e in tree if e.path in chosen or e.path in kept]
    for entry in shipped:
        if entry.path in (SETUP, INFO):
            raise LockgateError(
                f"{entry.path} is committed, but lockgate generates it for the package; rename it "
                f"or add it to [tool.lockgate.deploy] exclude"
            )
    contents = _read_metadata_files(root, source, config)
    versions = [(p, contents[p]) for p in version_paths(config, contents) if p in contents]
    keys = {secret_key(e.path, e.sha): e for e in shipped}
    if store is not None and config.gates.purity != "off":
        known = {k: s.detail.splitlines() for k, s in store.lookup(keys).items()}
    else:
        known = {}
    fetched: list[NewResult] = []
    if remote is not None and store is not None and config.gates.purity != "off":
        got = remote.fetch([k for k in keys if k not in known])
        fetched = [e.result for e in got.values() if e.result.layer == SECRETS]
        known.update((r.key, r.detail.splitlines()) for r in fetched)
    files: list[Shipped] = []
    hashes: dict[str, str] = {}
    reading = _hashing(root, source, shipped, files, hashes)
    baseline = _baseline(root, source) if config.gates.purity != "off" else None
    evidence = examine(reading, versions, config.gates, jobs, known, baseline)
    evidence.shipped = _as_validated(files, hashes)
    spec = _dev_spec(config)
    evidence.dev_only = lambda path: (
        spec.match_file(path) or (path not in kept and _is_test_file(path, patterns))
    )
    scans = [_scan_result(k, keys[k], found) for k, (_, found) in evidence.scanned.items()]
    if store is not None and (scans or fetched):
        store.write(scans + fetched, {}, {}, None)
    if remote is not None and scans:
        now = time.time()
        remote.publish([Entry(dataclasses.replace(r, created=now), {}) for r in scans])
    metadata = _toml(contents["pyproject.toml"]) if "pyproject.toml" in contents else {}
    notes = [
        f"submodule {e.path} is not shipped: its files are not in this repository"
        for e in tree
        if e.mode == git.GITLINK
    ]
    notes += [
        f"{path} matches a test-file pattern but {importer} imports it: it ships"
        for path, importer in sorted(kept.items())
    ]
    return Package(source, files, evidence, metadata, _name(metadata, root), notes)


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
) -> Iterator[tuple[str, str, str, bytes]]:
    """Stream ``(path, mode, blob id, data)`` of ``entries``, recording each as :class:`Shipped`
    and its lockgate content hash (a link's: its target) in ``hashes``."""
    for entry, data in zip(entries, source.read(root, entries), strict=True):
        sha256 = hashlib.sha256(data).hexdigest()
        into.append(Shipped(entry.path, entry.mode, entry.sha, sha256, len(data)))
        hashes[entry.path] = os.fsdecode(data) if entry.mode == git.SYMLINK else digest(data)
        yield entry.path, entry.mode, entry.sha, data


def finish(package: Package, result: AlignResult, gates: list[GateResult]) -> None:
    """Generate ``SETUP.md`` and ``package-info.json`` (whose manifest lists SETUP.md too)."""
    setup = render_setup(package).encode()
    manifest = {f.path: {"sha256": f.sha256, "size": f.size} for f in package.files}
    manifest[SETUP] = {"sha256": hashlib.sha256(setup).hexdigest(), "size": len(setup)}
    source = package.source
    origin: dict[str, Any] = {"commit": None if source.dirty else source.commit}
    origin["dirty"] = source.dirty
    if source.dirty:
        origin["base"] = source.commit
    info = {
        "name": package.name,
        "version": package.version,
        **origin,
        "lockgate": __version__,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "features": [
            {
                "id": f.feature.id,
                "kind": f.feature.kind,
                "internal": f.feature.internal,
                "score": f.score,
                "status": f.status,
            }
            for f in result.features
        ],
        "gates": [vars(g) for g in gates],
        "manifest": dict(sorted(manifest.items())),
    }
    package.generated = {SETUP: setup, INFO: (json.dumps(info, indent=2) + "\n").encode()}


def render_setup(package: Package) -> str:
    """How to install and run this package, from the committed ``[project]`` metadata."""
    project: dict[str, Any] = package.metadata.get("project", {})
    version = package.version or "(unversioned)"
    lines = [f"# {package.name} {version}", ""]
    if project.get("description"):
        lines += [str(project["description"]), ""]
    lines += [
        f"Deploy package built by lockgate {__version__} from {_origin(package.source)}.",
        f"`{INFO}` lists every file with its sha256.",
        "",
        "## Install",
        "",
    ]
    if project.get("requires-python"):
        lines += [f"Requires Python {project['requires-python']}.", ""]
    if project or "build-system" in package.metadata:
        lines += ["```sh", *_PIP_INSTALL, "```", ""]
    elif any(f.path == "requirements.txt" for f in package.files):
        lines += ["```sh", "python -m pip install -r requirements.txt", "```", ""]
    else:
        lines += ["This project declares no `[project]` table and no requirements.txt.", ""]
    if project.get("dependencies"):
        lines += ["Dependencies:", "", *(f"- `{d}`" for d in project["dependencies"]), ""]
    for extra, deps in project.get("optional-dependencies", {}).items():
        lines += [f'Extra `{extra}` (`pip install ".[{extra}]"`): {", ".join(deps)}', ""]
    lines += ["## Run", ""]
    scripts = {**project.get("scripts", {}), **project.get("gui-scripts", {})}
    if scripts:
        lines += [f"- `{name}` runs `{target}`" for name, target in scripts.items()] + [""]
    else:
        lines += ["This project declares no `[project.scripts]`; import it from Python.", ""]
    return "\n".join(lines)


def _origin(source: Source) -> str:
    if source.dirty:
        return f"the work tree on commit `{source.commit}` (uncommitted changes included)"
    return f"commit `{source.commit}`"


def commit(root: Path, package: Package, branch: str) -> str:
    """Commit the package on ``branch`` (an orphan root first, then on top); return the commit.

    When the package equals the branch tip's (``package-info.json`` aside from its ``time``),
    the branch stays where it is and the tip is returned: a no-change deploy adds no commit.
    """
    parent = git.branch_commit(root, branch)
    if parent is not None:
        _keep_previous_info(root, package, parent)
    _write_work_tree_blobs(root, package)
    entries = [(f.mode, f.sha, f.path) for f in package.files]
    entries += [("100644", git.hash_object(root, data), p) for p, data in package.generated.items()]
    tree = git.write_tree(root, entries)
    if parent is not None and git.tree_of(root, parent) == tree:
        return parent
    source = package.source
    said = (
        f"Base commit: {source.commit} (uncommitted changes included)"
        if source.dirty
        else (f"Source commit: {source.commit}")
    )
    message = f"lockgate deploy: {package.name} {package.version or '(unversioned)'}\n\n{said}\n"
    new = git.commit_tree(root, tree, message, parent)
    git.update_branch(root, branch, new, parent)
    return new


def _keep_previous_info(root: Path, package: Package, parent: str) -> None:
    """Reuse the tip's ``package-info.json`` when only its ``time`` would change."""
    tip = {e.path: e for e in git.ls_tree(root, parent)}
    if INFO not in tip:
        return
    old = git.read_blob(root, tip[INFO].sha)
    try:
        before = json.loads(old)
    except ValueError:
        return
    now = json.loads(package.generated[INFO])
    if isinstance(before, dict) and {**before, "time": None} == {**now, "time": None}:
        package.generated[INFO] = old


def _write_work_tree_blobs(root: Path, package: Package) -> None:
    """Write the blobs of work-tree files the object store does not hold yet."""
    if not package.source.dirty:
        return
    missing = git.missing_objects(root, [f.sha for f in package.files])
    for f in package.files:
        if f.sha in missing:
            written = git.hash_object(root, package.source.data[f.path])
            if written != f.sha:  # the id was computed here from the bytes: git must agree
                raise LockgateError(f"git stored {f.path} as {written}, expected {f.sha}")
            missing.discard(f.sha)


def check_out_path(out: Path) -> None:
    """Raise unless ``out`` can be written: its folder exists and it replaces no foreign data."""
    if not out.parent.is_dir():
        raise LockgateError(f"--out {out}: folder {out.parent} does not exist")
    if out.name.endswith(".tar.gz"):
        if out.is_dir():
            raise LockgateError(f"--out {out}: is a folder, not an archive")
    elif out.exists() and not _replaceable(out):
        raise LockgateError(
            f"--out {out}: exists and is not an earlier lockgate package; choose an empty "
            "or new folder"
        )


def write_out(root: Path, package: Package, out: Path) -> None:
    """Write the package to folder ``out`` (or a ``.tar.gz`` when named so), atomically."""
    check_out_path(out)
    if out.name.endswith(".tar.gz"):
        _write_archive(root, package, out)
    else:
        _write_folder(root, package, out)


def _replaceable(out: Path) -> bool:
    if not out.is_dir():
        return False
    if not any(out.iterdir()):
        return True
    try:
        return "lockgate" in json.loads((out / INFO).read_text())
    except (OSError, ValueError):
        return False


def _contents(root: Path, package: Package) -> list[tuple[str, str, bytes]]:
    """``(path, mode, data)`` for every file of the package, in path order."""
    entries = [git.TreeEntry(f.mode, "blob", f.sha, f.size, f.path) for f in package.files]
    blobs = package.source.read(root, entries)
    out = [(f.path, f.mode, data) for f, data in zip(package.files, blobs, strict=True)]
    out += [(path, "100644", data) for path, data in package.generated.items()]
    return sorted(out)


def _write_folder(root: Path, package: Package, out: Path) -> None:
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for path, mode, data in _contents(root, package):
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if mode == git.SYMLINK:
                target.symlink_to(os.fsdecode(data))
                continue
            target.write_bytes(data)
            target.chmod(0o755 if mode == _EXEC else 0o644)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            out.rename(old / out.name)
        os.replace(staging, out)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_archive(root: Path, package: Package, out: Path) -> None:
    now = int(time.time())
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh, tarfile.open(fileobj=fh, mode="w:gz") as tar:
            for path, mode, data in _contents(root, package):
                info = tarfile.TarInfo(path)
                info.mtime = now
                if mode == git.SYMLINK:
                    info.type, info.linkname = tarfile.SYMTYPE, os.fsdecode(data)
                    tar.addfile(info)
                    continue
                info.size, info.mode = len(data), 0o755 if mode == _EXEC else 0o644
                tar.addfile(info, io.BytesIO(data))
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
