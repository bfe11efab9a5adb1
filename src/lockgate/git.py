"""Every git call of lockgate: plumbing only, ``-z`` output, no inherited ``GIT_*`` surprises."""

from __future__ import annotations

import os
import stat
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lockgate.errors import LockgateError

# Variables that tune how git talks to the world or who commits; everything else named GIT_*
# (GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE exported by a hook, ...) would point us at the wrong
# repository or index, so it is dropped.
_KEEP = frozenset(
    {
        "GIT_EXEC_PATH",
        "GIT_SSH",
        "GIT_SSH_COMMAND",
        "GIT_SSL_CAINFO",
        "GIT_SSL_NO_VERIFY",
        "GIT_CONFIG_COUNT",
        "GIT_ASKPASS",
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_AUTHOR_DATE",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_COMMITTER_DATE",
    }
)

SYMLINK = "120000"
GITLINK = "160000"


@dataclass(frozen=True)
class TreeEntry:
    """One line of ``git ls-tree -r --long``."""

    mode: str
    type: str
    sha: str
    size: int  # -1 for submodule entries, which have no size
    path: str


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GIT_")
        or k in _KEEP
        or k.startswith(("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_"))
    }
    # Never refresh the user's index as a side effect (``git status`` would otherwise rewrite it).
    env["GIT_OPTIONAL_LOCKS"] = "0"
    env.update(extra or {})
    return env


def _git(
    root: Path, *args: str, input: bytes | None = None, env: Mapping[str, str] | None = None
) -> bytes:
    """Run ``git -C root args``; return stdout, or raise LockgateError with git's own words."""
    try:
        proc = subprocess.run(
            ("git", "-C", str(root), *args),
            input=input,
            capture_output=True,
            env=_env(env),
            check=False,
        )
    except FileNotFoundError:
        raise LockgateError("git is not installed or not on PATH; deploy needs git") from None
    if proc.returncode != 0:
        said = proc.stderr.decode(errors="replace").strip().splitlines()
        reason = said[-1] if said else f"exit code {proc.returncode}"
        raise LockgateError(f"git {args[0]} failed in {root}: {reason}")
    return proc.stdout


def require_toplevel(root: Path) -> None:
    """Raise unless ``root`` is the top-level folder of a git work tree."""
    try:
        top = _git(root, "rev-parse", "--show-toplevel").decode().strip()
    except LockgateError:
        raise LockgateError(
            f"{root} is not inside a git repository; deploy builds from committed files, "
            "so run `git init` and commit first"
        ) from None
    if Path(top).resolve() != root.resolve():
        raise LockgateError(
            f"{root} is not the top of its git repository ({top}); run deploy from there"
        )


def head(root: Path) -> str:
    """The commit HEAD points at."""
    try:
        return _git(root, "rev-parse", "--verify", "HEAD^{commit}").decode().strip()
    except LockgateError:
        raise LockgateError(f"{root}: no commit yet; commit the project before deploying") from None


def current_branch(root: Path) -> str | None:
    """The branch HEAD is attached to (``refs/heads/...`` stripped), or None when detached."""
    name = _git(root, "rev-parse", "--symbolic-full-name", "HEAD").decode().strip()
    return name.removeprefix("refs/heads/") if name.startswith("refs/heads/") else None


def is_dirty(root: Path) -> bool:
    """True when tracked files differ from HEAD (staged or not); untracked files don't count."""
    out = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=no", "--no-renames")
    return bool(out)


def check_branch_name(root: Path, branch: str) -> None:
    """Raise unless ``branch`` is a valid branch name."""
    try:
        _git(root, "check-ref-format", "--branch", branch)
    except LockgateError:
        raise LockgateError(f"{branch!r} is not a valid git branch name") from None


def branch_commit(root: Path, branch: str) -> str | None:
    """The commit ``refs/heads/<branch>`` points at, or None when the branch does not exist."""
    ref = f"refs/heads/{branch}"
    out = _git(root, "for-each-ref", "--format=%(objectname) %(refname)", ref).decode()
    for line in out.splitlines():
        sha, _, name = line.partition(" ")
        if name == ref:
            return sha
    return None


def ls_tree(root: Path, commit: str) -> list[TreeEntry]:
    """Every file of ``commit``'s tree, recursively, with mode, object and size."""
    out = _git(root, "ls-tree", "-r", "-z", "--long", "--full-tree", commit)
    entries = []
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, kind, sha, size = meta.decode().split()
        entries.append(TreeEntry(mode, kind, sha, -1 if size == "-" else int(size), path.decode()))
    return entries


def read_blob(root: Path, sha: str) -> bytes:
    """The content of one blob."""
    return _git(root, "cat-file", "blob", sha)


def read_blobs(root: Path, shas: Sequence[str]) -> Iterator[tuple[str, bytes]]:
    """Stream ``(sha, content)`` for every blob in ``shas``, in order, through one git process."""
    if not shas:
        return
    proc = subprocess.Popen(
        ("git", "-C", str(root), "cat-file", "--batch"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=_env(),
    )
    assert proc.stdin is not None and proc.stdout is not None
    stdin, stdout = proc.stdin, proc.stdout

    def feed() -> None:
        # A separate writer keeps both pipes moving: git blocks on a full stdout otherwise.
        try:
            stdin.write(b"".join(f"{sha}\n".encode() for sha in shas))
        except BrokenPipeError:  # pragma: no cover - the reader already failed
            pass
        finally:
            stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for sha in shas:
            header = stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                raise LockgateError(f"git cat-file: cannot read blob {sha} in {root}")
            data = stdout.read(int(header[2]))
            stdout.read(1)  # the newline after every object
            yield sha, data
    finally:
        stdout.close()
        writer.join()
        proc.wait()


def converted_blobs(root: Path, paths: Sequence[str]) -> list[str]:
    """The blob id each work-tree file of ``paths`` would get from ``git add``: its bytes after
    git's own conversion for that path (``.gitattributes`` ``eol``/``text``, ``core.autocrlf``,
    clean filters), in order. Nothing is written. ``paths`` must be regular files whose names
    hold no newline."""
    if not paths:
        return []
    data = "".join(f"{p}\n" for p in paths).encode()
    return _git(root, "hash-object", "--stdin-paths", input=data).decode().split()


def hash_object(root: Path, data: bytes) -> str:
    """Write ``data`` as a blob into the repository's object store; return its id."""
    return _git(root, "hash-object", "-w", "--stdin", input=data).decode().strip()


def write_tree(root: Path, entries: Iterable[tuple[str, str, str]]) -> str:
    """Build a tree from ``(mode, sha, path)`` entries in a temporary index; return the tree id.

    The repository's own index is never read or written: ``GIT_INDEX_FILE`` points into a
    temporary folder for these two calls only.
    """
    records = b"".join(f"{mode} {sha}\t{path}".encode() + b"\0" for mode, sha, path in entries)
    with tempfile.TemporaryDirectory(prefix="lockgate-index-") as tmp:
        env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
        _git(root, "read-tree", "--empty", env=env)
        _git(root, "update-index", "-z", "--index-info", input=records, env=env)
        return _git(root, "write-tree", env=env).decode().strip()


def commit_tree(root: Path, tree: str, message: str, parent: str | None) -> str:
    """Create a commit of ``tree`` (an orphan root when ``parent`` is None); return its id."""
    args = ["commit-tree", tree, "-F", "-"]
    if parent:
        args += ["-p", parent]
    try:
        return _git(root, *args, input=message.encode()).decode().strip()
    except LockgateError as exc:
        if "ident" in str(exc) or "email" in str(exc):
            raise LockgateError(
                "git does not know who you are; set user.name and user.email "
                "(git config --global user.email you@example.com) and deploy again"
            ) from None
        raise


def update_branch(root: Path, branch: str, new: str, old: str | None) -> None:
    """Move ``branch`` to ``new`` only if it still points at ``old`` (None: must not exist yet)."""
    expected = old or "0" * len(new)
    try:
        _git(root, "update-ref", "-m", "lockgate deploy", f"refs/heads/{branch}", new, expected)
    except LockgateError:
        raise LockgateError(
            f"branch {branch} moved while lockgate was deploying; nothing was changed, run again"
        ) from None


def work_tree(root: Path) -> Path | None:
    """The top folder of the work tree that holds ``root``, or None outside any work tree."""
    try:
        out = _git(root, "rev-parse", "--show-toplevel").decode().rstrip("\n")
    except LockgateError:
        return None
    return Path(out).resolve() if out else None


def common_dir(root: Path) -> Path:
    """The repository's git folder shared by all its work trees (usually ``.git``)."""
    out = _git(root, "rev-parse", "--git-common-dir").decode().rstrip("\n")
    return (root / out).resolve()


def hooks_dir(root: Path) -> Path:
    """The folder git runs hooks from: ``core.hooksPath`` when set, else the git folder's."""
    out = _git(root, "rev-parse", "--git-path", "hooks").decode().rstrip("\n")
    return (root / out).resolve()


def config_value(root: Path, key: str) -> str | None:
    """One git configuration value as git sees it in ``root``; None when unset or empty."""
    out = _git(root, "config", "--default", "", "--get", key).decode().removesuffix("\n")
    return out or None


def index_entries(root: Path) -> list[TreeEntry]:
    """Every tracked file of the index (``git ls-files --stage``); size is -1 (not known).

    Unmerged paths are refused: there is no one version of them to ship.
    """
    out = _git(root, "ls-files", "-z", "--stage")
    entries = []
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, sha, stage = meta.decode().split()
        if stage != "0":
            raise LockgateError(f"{path.decode()} has merge conflicts; resolve them first")
        kind = "commit" if mode == GITLINK else "blob"
        entries.append(TreeEntry(mode, kind, sha, -1, path.decode()))
    return entries


def object_format(root: Path) -> str:
    """The hash algorithm of the repository's object ids: ``sha1`` or ``sha256``."""
    return _git(root, "rev-parse", "--show-object-format").decode().strip()


def missing_objects(root: Path, shas: Sequence[str]) -> set[str]:
    """The ids among ``shas`` that the object store does not hold."""
    if not shas:
        return set()
    out = _git(root, "cat-file", "--batch-check", input="".join(f"{s}\n" for s in shas).encode())
    return {line.split()[0] for line in out.decode().splitlines() if line.endswith(" missing")}


def tree_of(root: Path, commit: str) -> str:
    """The tree id of ``commit``."""
    return _git(root, "rev-parse", "--verify", f"{commit}^{{tree}}").decode().strip()


def worktree_branches(root: Path) -> dict[str, Path]:
    """Branch name → the work tree that has it checked out, for every work tree of the repo."""
    out = _git(root, "worktree", "list", "--porcelain", "-z").decode()
    found: dict[str, Path] = {}
    path: Path | None = None
    for field in out.split("\0"):
        if field.startswith("worktree "):
            path = Path(field.removeprefix("worktree "))
        elif field.startswith("branch refs/heads/") and path is not None:
            found[field.removeprefix("branch refs/heads/")] = path
    return found


def visible_files(root: Path) -> list[str] | None:
    """Every file git shows under ``root``: tracked (deleted ones included) and untracked but
    not ignored, posix and relative to ``root``; None outside a work tree (or without git).

    A checked-out submodule (or a repository inside this one) is listed as its files, seen by
    its own repository: a file tracked there is tracked, not a folder git does not look into.
    """
    try:
        out = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    except LockgateError:
        return None
    found: list[str] = []
    for path in dict.fromkeys(os.fsdecode(p).rstrip("/") for p in out.split(b"\0") if p):
        inner = _nested_files(root, path)
        found.extend([path] if inner is None else inner)
    return list(dict.fromkeys(found))


def _nested_files(root: Path, path: str) -> list[str] | None:
    """The files of the repository checked out at ``path`` (a gitlink, or an untracked
    repository git lists as a folder), as paths of ``root``; None when ``path`` is not one."""
    # Only a folder can be one: a listed path is a file, or a gitlink (or repository) there.
    try:
        if not stat.S_ISDIR(os.lstat(root / path).st_mode):
            return None
    except OSError:
        return None
    if not os.path.lexists(root / path / ".git"):
        return None  # a submodule not checked out: an empty folder
    inner = visible_files(root / path)
    return None if inner is None else [f"{path}/{p}" for p in inner]


@dataclass(frozen=True)
class Layout:
    """What a throw-away copy of a repository needs: its git folder, object store, HEAD."""

    git_dir: Path
    objects: Path
    head: str  # the HEAD file's text: "ref: refs/heads/main" or a commit id
    commit: str | None  # what HEAD names, None on a branch without commits
    object_format: str


def layout(root: Path) -> Layout | None:
    """The repository whose work tree's top folder is ``root``; None for any other folder."""
    try:
        out = _git(
            root,
            "rev-parse",
            "--show-toplevel",
            "--absolute-git-dir",
            "--git-common-dir",
            "--show-object-format",
        )
    except LockgateError:
        return None
    top, git_dir, common, fmt = out.decode().splitlines()[:4]
    if not top or Path(top).resolve() != root.resolve():
        return None
    try:
        commit = _git(root, "rev-parse", "-q", "--verify", "HEAD^{commit}").decode().strip()
    except LockgateError:
        commit = None
    head = (Path(git_dir) / "HEAD").read_text(encoding="utf-8").strip()
    return Layout(Path(git_dir), (root / common).resolve() / "objects", head, commit, fmt)


def resolve_commit(root: Path, ref: str) -> str | None:
    """The commit ``ref`` names (a branch, tag, id or expression), or None when it names none."""
    try:
        out = _git(
            root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"
        )
    except LockgateError:
        return None
    return out.decode().strip() or None


def default_branch(root: Path) -> str | None:
    """The default branch: what ``origin/HEAD`` points at, else a local ``main`` or ``master``."""
    try:
        out = _git(root, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD").decode().strip()
    except LockgateError:
        out = ""
    if out.startswith("refs/remotes/"):
        return out.removeprefix("refs/remotes/")
    for name in ("main", "master"):
        if branch_commit(root, name) is not None:
            return name
    return None


def merge_base(root: Path, one: str, other: str) -> str | None:
    """The best common ancestor of two commits, or None when they share no history."""
    try:
        return _git(root, "merge-base", one, other).decode().strip() or None
    except LockgateError:
        return None


def tracked(root: Path, paths: Sequence[str]) -> set[str]:
    """Those of ``paths`` (relative to ``root``) that git tracks."""
    if not paths:
        return set()
    out = _git(root, "ls-files", "-z", "--full-name", "--", *paths).decode()
    top = work_tree(root)
    base = root.resolve().relative_to(top).as_posix() if top is not None else "."
    prefix = "" if base == "." else base + "/"
    return {p.removeprefix(prefix) for p in out.split("\0") if p} & set(paths)


def remove(root: Path, paths: Sequence[str]) -> None:
    """``git rm`` tracked ``paths`` (relative to ``root``) from the index and the work tree;
    nothing is committed."""
    if paths:
        _git(root, "rm", "-q", "--", *paths)
