"""Shared fixtures: scenario projects copied into real git repositories, and lockgate runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PROJECTS = Path(__file__).parent / "projects"


@contextmanager
def isolated_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No git config, identity or store location leaks in from the machine; HOME is tmp.

    A context manager so that module-scoped fixtures (set up before any function-scoped
    fixture) can use it too.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(tmp_path_factory.mktemp("home")))
        # lockgate's bytecode cache: shared by the session's tests, as by a user's projects
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        for who in ("AUTHOR", "COMMITTER"):
            mp.setenv(f"GIT_{who}_NAME", "Test")
            mp.setenv(f"GIT_{who}_EMAIL", "test@example.invalid")
        mp.delenv("LOCKGATE_DIR", raising=False)
        # lockgate's key file: one for the session's tests, as for one user; never the real one
        mp.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "config"))
        for name in ("LOCKGATE_KEY", "LOCKGATE_BUSY_TIMEOUT"):
            mp.delenv(name, raising=False)
        for name in list(os.environ):
            if name.startswith("GIT_") and not name.startswith(
                ("GIT_CONFIG_NOSYSTEM", "GIT_AUTHOR_", "GIT_COMMITTER_")
            ):
                mp.delenv(name)
        yield


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test touches the real home directory, git config or a store outside tmp."""
    with isolated_env(tmp_path_factory):
        yield


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` and return its output."""
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def repository_state(root: Path, whole_git_dir: bool = False) -> dict[str, Any]:
    """What a deploy must not touch: HEAD, refs, the index bytes, and every file (mode, mtime,
    bytes or link target) of the work tree, untracked ones included, and optionally of .git."""
    files = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if not whole_git_dir:
            dirnames[:] = [d for d in dirnames if d != ".git"]
        links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        for name in filenames + links:
            path = Path(dirpath, name)
            info = path.lstat()
            body = os.readlink(path) if path.is_symlink() else path.read_bytes()
            files[path.relative_to(root).as_posix()] = (info.st_mode, info.st_mtime_ns, body)
    return {
        "head": git(root, "rev-parse", "HEAD"),
        "symbolic": git(root, "symbolic-ref", "HEAD"),
        "refs": git(root, "for-each-ref"),
        "index": (root / ".git" / "index").read_bytes(),
        "files": files,
    }


def copy_project(name: str, dest: Path, commit: bool = True) -> Path:
    """Copy ``tests/projects/<name>`` into ``dest`` as a git repository with one commit."""
    root = dest / name
    shutil.copytree(
        PROJECTS / name,
        root,
        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".lockgate"),
    )
    git(root, "init", "-q", "-b", "main")
    if commit:
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "initial")
    return root


@dataclass
class Run:
    """One finished lockgate process."""

    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict[str, Any]:
        """stdout parsed as the JSON object lockgate prints."""
        return dict(json.loads(self.stdout))

    def layer(self, feature: str, layer: str) -> dict[str, Any]:
        """One layer of one feature (matched by id or name) from the JSON output."""
        for f in self.json["features"]:
            if feature in (f["id"], f["name"]):
                return dict(f["layers"][layer])
        raise AssertionError(f"no feature {feature} in output")


def lockgate(
    *args: str | Path,
    cwd: Path | None = None,
    timeout: float = 300,
    env: dict[str, str] | None = None,
) -> Run:
    """Run ``python -m lockgate`` as a user would, in a child process."""
    proc = subprocess.run(
        [sys.executable, "-m", "lockgate", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Any]:
    """A factory: ``project("basic")`` gives a fresh git repository of that scenario."""

    def make(name: str, commit: bool = True) -> Path:
        return copy_project(name, tmp_path, commit=commit)

    yield make


_ALIGNED: dict[str, tuple[Path, Run]] = {}


def aligned_copy(name: str, dest: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``copy_project(name, dest)`` whose own store (``.lockgate``) already holds a cold
    ``align`` of the unchanged scenario. The cold run happens once per session (per xdist
    worker); each caller gets a copy of that folder, git and store included. Results are keyed
    by content, not by folder, so the copy's next run reuses them: for tests that need a filled
    store before their edit, never for tests that watch the cold run itself."""
    if name not in _ALIGNED:
        base = copy_project(name, tmp_path_factory.mktemp(f"aligned-{name}"))
        run = lockgate("align", base, "--json", "--quiet")
        assert run.code in (0, 1), run.stderr
        _ALIGNED[name] = base, run
    return Path(shutil.copytree(_ALIGNED[name][0], dest / name, symlinks=True))


def aligned_run(name: str) -> Run:
    """The cold ``align`` whose store :func:`aligned_copy` copies (call that first)."""
    return _ALIGNED[name][1]


def _requirements(name: str) -> set[str]:
    """``name`` and every distribution it requires (no extras), as installed here."""
    from importlib import metadata

    from packaging.requirements import Requirement

    seen: set[str] = set()
    stack = [name]
    while stack:
        dist = metadata.distribution(stack.pop())
        key = dist.metadata["Name"].lower().replace("_", "-")
        if key in seen:
            continue
        seen.add(key)
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                stack.append(req.name)
    return seen


def _repack(name: str, out: Path) -> None:
    """Rebuild the wheel an installed distribution came from: its files (scripts and
    bytecode aside, pip makes those again) and its metadata, with a fresh RECORD."""
    import base64
    import hashlib
    import zipfile
    from importlib import metadata

    dist = metadata.distribution(name)
    info = Path(str(dist._path))  # type: ignore[attr-defined]
    site = info.parent
    wheel = (info / "WHEEL").read_text()
    tag = next(
        line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")
    )
    files = [
        p
        for p in (str(f) for f in dist.files or [])
        if not p.startswith("../")
        and "__pycache__" not in p
        and not p.endswith((".dist-info/RECORD", "/INSTALLER", "/REQUESTED", "/direct_url.json"))
    ]
    record = []
    with zipfile.ZipFile(out / f"{info.name.removesuffix('.dist-info')}-{tag}.whl", "w") as zf:
        for rel in files:
            data = (site / rel).read_bytes()
            zf.writestr(rel, data)
            sha = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{rel},sha256={sha},{len(data)}")
        record.append(f"{info.name}/RECORD,,")
        zf.writestr(f"{info.name}/RECORD", "\n".join(record) + "\n")


@pytest.fixture(scope="session")
def fresh_venvs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two virtual environments, at different paths, each installed by pip from the same
    wheels: lockgate's dependencies as installed here (lockgate itself comes from
    ``PYTHONPATH``, as in these tests). Built once per session; returns their pythons."""
    base = tmp_path_factory.mktemp("venvs")
    wheels = base / "wheels"
    wheels.mkdir()
    names = sorted(_requirements("lockgate") - {"lockgate"})
    for name in names:
        _repack(name, wheels)
    pythons = []
    # The second compiles bytecode, the first does not: the RECORDs differ by those lines.
    for where, compiled in ((base / "one" / "venv", False), (base / "second-place" / "env", True)):
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", where], check=True)
        python = where / "bin" / "python"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                python,
                "install",
                "-q",
                "--no-index",
                "--no-deps",
                "--compile" if compiled else "--no-compile",
                "--disable-pip-version-check",
                "--find-links",
                wheels,
                *names,
            ],
            check=True,
        )
        pythons.append(python)
    return pythons[0], pythons[1]


def as_schema_9(conn: Any) -> None:
    """Turn a store of this schema (an open sqlite3 connection) into the store lockgate's
    schema 9 left: each result's extras as their JSON text in its row, facts as text, no
    pieces table."""
    import zlib

    texts = {
        name: zlib.decompress(data).decode()
        for name, data in conn.execute("SELECT digest, data FROM pieces")
    }
    rows = conn.execute("SELECT rowid, pieces FROM results").fetchall()
    conn.execute("ALTER TABLE results RENAME COLUMN pieces TO extras")
    for rowid, value in rows:
        names = [value[i : i + 16] for i in range(0, len(value), 16)]
        text = "{" + ", ".join(texts[n] for n in names) + "}"
        conn.execute("UPDATE results SET extras = ? WHERE rowid = ?", (text, rowid))
    for name, data in conn.execute("SELECT hash, data FROM facts").fetchall():
        conn.execute(
            "UPDATE facts SET data = ? WHERE hash = ?", (zlib.decompress(data).decode(), name)
        )
    conn.execute("DROP TABLE pieces")
    conn.execute("PRAGMA user_version = 9")
