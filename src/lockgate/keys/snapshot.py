"""The no-change fast path: a whole align result, reused when nothing it read has changed.

A full run records every file it looked at (present with its stat, or absent), the raw
configuration, the file listing and the environment. The next run re-stats exactly those
files; if every one is unchanged — same size, mtime, ctime and inode, and not written within the
timestamp granularity of the moment it was hashed — then every layer key would come out as
before and every result would be reused, so the recorded result is served as it is, without
parsing, planning or keying. Anything else falls through to the full path.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import time
import tomllib
from pathlib import Path
from stat import S_ISREG
from typing import Any

from lockgate import __version__
from lockgate.keys.environment import environment
from lockgate.keys.hashing import RACY_NS, FileHasher, digest, is_probe, key_of, probe_state
from lockgate.model import (
    AlignResult,
    Feature,
    FeatureResult,
    LayerResult,
    Performance,
    SuiteResult,
)
from lockgate.plainfiles import read_regular, read_text
from lockgate.project.project import declared_inputs, walk_tree
from lockgate.store.store import Store

_CONFIG_FILES = ("pyproject.toml", "lockgate.toml")
FORMAT = 6  # of the recorded result: part of the key, so an older record is never misread


def raw_table(root: Path) -> dict[str, Any] | None:
    """The ``[tool.lockgate]`` table as written, unvalidated; None when it cannot be read."""
    try:
        if (root / "lockgate.toml").is_file():
            return tomllib.loads(read_text(root / "lockgate.toml"))
        data = tomllib.loads(read_text(root / "pyproject.toml"))
        tool = data.get("tool", {})
        table = tool.get("lockgate") if isinstance(tool, dict) else None
        return table if isinstance(table, dict) else None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def key(root: Path, layers: tuple[str, ...] | None, local: bool = True) -> str | None:
    """What the whole result depends on besides file contents; None when it cannot be told.
    ``local=False``: the name of a tree on any clone (the remote's record, see
    :func:`record`): the environment by content, and the Python files' contents, so that
    commits of one listing keep a record each (a record is still served only once every file
    it names, Python or not, holds its content here)."""
    table = raw_table(root)
    if table is None:
        return None
    try:  # the raw table is not validated here: anything unexpected means the full path
        env_names = [str(n) for n in table.get("env", [])]
        inputs = sorted(declared_inputs(root, [str(p) for p in table.get("inputs", [])]))
        configured = [*table.get("src", ["src"]), *table.get("tests", ["tests"])]
        for kind in table.get("features", []):
            configured += kind.get("paths", [])
        existing = [(str(p), (root / str(p)).exists()) for p in configured]
    except (TypeError, AttributeError, ValueError):
        return None
    walk = walk_tree(root, root)
    contents: list[list[str]] = []
    if not local:  # a tree's name on the remote: its Python files' contents too (see record)
        try:
            contents = [[f, digest(read_regular(root / f))] for f in sorted(walk.files)]
        except OSError:
            return None
    raw: list[str | None] = []
    for name in _CONFIG_FILES:
        path = root / name
        try:
            raw.append(digest(read_regular(path)) if path.is_file() else None)
        except OSError:
            return None  # a file that cannot be read: the full path says why
    return key_of(
        [
            FORMAT,
            __version__,
            layers,
            raw,
            # by stat, not content: reading every RECORD would cost the fast path several
            # times what it costs now, and the snapshot never leaves this checkout (the
            # remote's record does: by content)
            sorted(environment(root, env_names, local=local).items()),
            "local" if local else "portable",
            sorted(walk.files),
            sorted(walk.escapes),  # a link leaving the root is an error the full path reports
            existing,
            inputs,  # a new file matching an ``inputs`` glob joins every key
            contents,
        ]
    )


def _unchanged(root: Path, files: list[list[Any]]) -> bool:
    for path, stat in files:
        if is_probe(path):  # a folder's state, recorded as it was
            if probe_state(root, path) != stat:
                return False
            continue
        try:
            st = os.stat(os.path.join(root, path))
        except OSError:
            if stat is None:
                continue
            return False
        if stat is None:
            if not S_ISREG(st.st_mode):
                continue  # not a file, as when it was recorded absent
            return False
        size, mtime, ctime, inode, recorded, content = stat
        same = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino) == (
            size,
            mtime,
            ctime,
            inode,
        )
        if same and max(mtime, ctime) + RACY_NS < recorded:
            continue
        if st.st_size != size or not S_ISREG(st.st_mode):
            return False
        try:
            if digest(read_regular(os.path.join(root, path))) != content:
                return False
        except OSError:
            return False
    return True


def reuse(
    root: Path, store: Store, layers: tuple[str, ...] | None
) -> tuple[AlignResult, float] | None:
    """The last full result when nothing it depends on changed, marked as reused, with the
    recorded seconds of all its results (the time reuse saved); else None."""
    wanted = key(root, layers)
    found = store.snapshot(scope(layers)) if wanted is not None else None
    if found is None or found[0] != wanted:
        return None
    _, files, blob = found
    try:
        if not _unchanged(root, files):
            return None
    except (TypeError, ValueError):
        return None  # a record this lockgate cannot read only costs the full path
    return _served(blob)


def record(hasher: FileHasher, result: AlignResult, seconds: float) -> dict[str, Any]:
    """The remote's record of a full run (lockgate.remote.tree): what :func:`save` keeps,
    with every file the run looked at by content (None: absent) instead of by stat."""
    return {
        "files": [[path, hasher.hash(path)] for path in sorted(hasher.looked_at())],
        "result": _to_json(result),
        "saved": seconds,
    }


def reuse_record(
    root: Path, found: dict[str, Any]
) -> tuple[AlignResult, float, list[list[Any]]] | None:
    """The result of the remote's record ``found`` when every file it names holds the
    content it names here (and every probe its state), marked as reused, with the seconds it
    saved and the files by stat for the local snapshot (:func:`save_served`); else None."""
    files: list[list[Any]] = []
    try:
        for path, state in found["files"]:
            here = _now(root, path)
            if (here[1] if here is not None else None) != state:
                return None
            files.append([path, here[0] if here is not None else None])
    except (TypeError, ValueError, OSError):
        return None
    # served from a copy: the record itself is kept as this checkout's snapshot
    served = _served({"result": copy.deepcopy(found["result"]), "saved": found.get("saved")})
    return None if served is None else (*served, files)


def _now(root: Path, path: str) -> tuple[Any, str | None] | None:
    """What ``path`` holds now: (its local snapshot row, its state as the record names it),
    or None for a file that is absent (not a regular file)."""
    if is_probe(path):
        state = probe_state(root, path)
        return state, state
    full = os.path.join(root, path)
    try:
        st = os.stat(full)
    except OSError:
        return None
    if not S_ISREG(st.st_mode):
        return None
    recorded = time.time_ns()
    content = digest(read_regular(full))
    row = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, recorded, content]
    return row, content


def save_served(
    root: Path,
    store: Store,
    layers: tuple[str, ...] | None,
    files: list[list[Any]],
    found: dict[str, Any],
) -> None:
    """Keep the remote's record served here as this checkout's snapshot: the next run with
    nothing changed is served by stat (``files`` from :func:`reuse_record`)."""
    wanted = key(root, layers)
    if wanted is not None:
        blob = {"result": found["result"], "saved": found["saved"]}
        store.save_snapshot(scope(layers), wanted, files, blob)


def _served(blob: dict[str, Any]) -> tuple[AlignResult, float] | None:
    """A recorded result as served: every layer reused; None when it cannot be read or a
    result in it is due again."""
    try:
        result = _from_json(blob["result"])
        saved = float(blob["saved"])
    except (KeyError, TypeError, ValueError):
        return None  # a record this lockgate cannot read only costs the full path
    now = time.time()
    # A performance measure past its ttl, a load-dependent failure past its retry age: due again.
    ends = [r.performance.expires for r in result.features if r.performance]
    ends += [layer.expires for r in result.features for layer in r.layers.values()]
    ends += [s.expires for s in result.suite]
    if any(end is not None and end <= now for end in ends):
        return None
    for r in result.features:
        for layer in r.layers.values():
            layer.cached = True
        if r.performance is not None:
            r.performance.cached = True
    for s in result.suite:
        s.cached = True
    result.hits, result.misses = result.hits + result.misses, 0
    result.remote_hits = result.remote_errors = 0  # served from the local store alone
    return result, saved


def save(
    root: Path,
    store: Store,
    layers: tuple[str, ...] | None,
    hasher: FileHasher,
    result: AlignResult,
    seconds: float,
) -> None:
    """Record ``result`` (whose results took ``seconds`` to make) with the stat of every file
    the run looked at."""
    wanted = key(root, layers)
    if wanted is None:
        return
    files = [
        [
            path,
            hasher.hash(path)
            if is_probe(path)
            else None
            if row is None
            else [row.size, row.mtime_ns, row.ctime_ns, row.inode, row.recorded_ns, row.hash],
        ]
        for path, row in sorted(hasher.looked_at().items())
    ]
    store.save_snapshot(
        scope(layers), wanted, files, {"result": _to_json(result), "saved": seconds}
    )


def scope(layers: tuple[str, ...] | None) -> str:
    """Runs of different layers (align, optimize, report) keep a snapshot each."""
    return ",".join(layers) if layers is not None else "default"


def _to_json(result: AlignResult) -> dict[str, Any]:
    data = dataclasses.asdict(result)
    # A served snapshot re-ran nothing: its layers have no reason, so none is recorded (the
    # no-change path would only parse them to clear them).
    for feature in data["features"]:
        del feature["owners"]  # read from CODEOWNERS afresh on every run
        for layer in feature["layers"].values():
            del layer["reason"]
            del layer["exemption"]  # applied afresh on every run: the date moves on
    del data["writes"]  # made by the processes of that run; serving it again runs none
    del data["moved"]  # empty: a run in which inputs moved stored less than all, and is no snapshot
    del data["audit"]  # what that run ran again; serving it again runs nothing
    return data


def _from_json(data: dict[str, Any]) -> AlignResult:
    features = []
    for r in data["features"]:
        perf = r.pop("performance")
        features.append(
            FeatureResult(
                feature=Feature(**r.pop("feature")),
                layers={k: LayerResult(**v) for k, v in r.pop("layers").items()},
                performance=Performance(**perf) if perf else None,
                **r,
            )
        )
    data["features"] = features
    data["suite"] = [SuiteResult(**s) for s in data["suite"]]
    return AlignResult(**data)
