"""Git hooks that warm the store in the background after commit, merge and checkout."""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lockgate import git
from lockgate.errors import LockgateError
from lockgate.project.project import Project

__all__ = ["HOOKS", "MARKER", "ORIG_SUFFIX", "install", "uninstall"]

HOOKS = ("post-commit", "post-merge", "post-checkout")
MARKER = "# lockgate hook"
ORIG_SUFFIX = ".lockgate-orig"

# The hook runs the hook it replaced first (same arguments, same stdin) and keeps its status.
# Everything lockgate does happens in a background subshell whose output never reaches git, so
# the git command waits for one fork. GIT_* variables that git exports to hooks would point the
# project's own tests (run by the warm) at this repository, so they are dropped. The store
# folder gets its .gitignore here too: a warm that fails before opening the store still logs.
# Nothing is written through a link (a .lockgate committed as a symlink into the source).
_SCRIPT = """\
#!/bin/sh
{marker}: starts a background warm of the store; `lockgate hooks uninstall` removes it
# and puts back {name}{suffix} (the hook that was here before), if there is one.
status=0
orig="${{0%/*}}/{name}{suffix}"
if [ -x "$orig" ]; then
    "$orig" "$@"
    status=$?
fi
python={python}
root={root}
if [ -x "$python" ]; then
    (
        unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_PREFIX GIT_COMMON_DIR
        cd "$root" || exit 0
        store=${{LOCKGATE_DIR:-.lockgate}}
        [ -L "$store" ] || [ -L "$store/.gitignore" ] || [ -L "$store/warm.log" ] && exit 0
        mkdir -p "$store" || exit 0
        [ -e "$store/.gitignore" ] || echo '*' >"$store/.gitignore"
        exec >>"$store/warm.log" 2>&1
        detach=
        if command -v setsid >/dev/null; then detach=setsid; fi
        exec $detach nice -n 19 "$python" -m lockgate cache warm --quiet "$root"
    ) </dev/null >/dev/null 2>&1 &
fi
exit $status
"""


@dataclass(frozen=True)
class _Target:
    root: Path  # the project the hooks warm
    folder: Path  # where git looks for hooks


def _locate(path: Path) -> _Target:
    root = Project.open(path).root
    top = git.work_tree(root)
    if top is None:
        raise LockgateError(
            f"{root} is not inside a git work tree; hooks belong to a repository "
            "(run `git init` there, or point lockgate at a project inside one)"
        )
    folder = git.hooks_dir(root)
    if not any(folder.is_relative_to(inside) for inside in (top, git.common_dir(root))):
        setting = git.config_value(root, "core.hooksPath")
        raise LockgateError(
            f"git's core.hooksPath is {setting!r} ({folder}), outside this repository: shared "
            "hooks, perhaps a hook manager's, which lockgate leaves alone; call "
            f"`{sys.executable} -m lockgate cache warm --quiet {root} &` from their post-commit, "
            "post-merge and post-checkout hooks, or remove the setting "
            "(`git config --unset core.hooksPath`, with --global if set there) and run again"
        )
    return _Target(root, folder)


def _exists(path: Path) -> bool:
    return path.is_symlink() or path.exists()


def _ours(hook: Path) -> bool:
    try:
        with hook.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return any(line.startswith(MARKER.encode()) for line in head.splitlines())


def _orig(hook: Path) -> Path:
    return hook.with_name(hook.name + ORIG_SUFFIX)


def _place(hook: Path, text: str, keep_existing: bool) -> None:
    """Write ``hook`` atomically; first move the file there aside when ``keep_existing``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{hook.name}.", dir=hook.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o755)
        if keep_existing:
            os.rename(hook, _orig(hook))
        os.replace(tmp, hook)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def install(path: Path) -> list[str]:
    """Install the warming hooks for the project at ``path``; one line per hook on what happened."""
    if not os.path.isabs(sys.executable):
        raise LockgateError("cannot tell which Python runs lockgate (sys.executable is unset)")
    target = _locate(path)
    hooks = [target.folder / name for name in HOOKS]
    # Check every hook before touching any, so that a refusal leaves all of them as they were.
    for hook in hooks:
        if _exists(hook) and not _ours(hook) and _exists(_orig(hook)):
            raise LockgateError(
                f"{hook} is not lockgate's hook, and {_orig(hook).name} from an earlier install is "
                "still next to it; move one of them away (or merge them) and install again"
            )
    target.folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for hook in hooks:
        text = _SCRIPT.format(
            marker=MARKER,
            name=hook.name,
            suffix=ORIG_SUFFIX,
            python=shlex.quote(sys.executable),
            root=shlex.quote(str(target.root)),
        )
        shown = os.path.relpath(hook, target.root)
        if not _exists(hook):
            _place(hook, text, keep_existing=False)
            lines.append(f"installed {shown}")
        elif not _ours(hook):
            _place(hook, text, keep_existing=True)
            lines.append(
                f"installed {shown} (the previous hook, now {_orig(hook).name}, runs first)"
            )
        elif hook.read_text(encoding="utf-8") == text:
            lines.append(f"{shown} is already installed")
        else:
            _place(hook, text, keep_existing=False)
            lines.append(f"updated {shown}")
    return lines


def uninstall(path: Path) -> list[str]:
    """Remove lockgate's hooks and put back the hooks they replaced; one line per change."""
    target = _locate(path)
    lines = []
    for name in HOOKS:
        hook = target.folder / name
        orig = _orig(hook)
        shown = os.path.relpath(hook, target.root)
        if _exists(hook) and not _ours(hook):
            if _exists(orig):
                lines.append(f"left {shown} alone: it is no longer lockgate's; {orig.name} kept")
            continue
        if _exists(orig):
            os.replace(orig, hook)
            lines.append(f"restored {shown}")
        elif _exists(hook):
            hook.unlink()
            lines.append(f"removed {shown}")
    return lines or [f"no lockgate hooks in {os.path.relpath(target.folder, target.root)}"]
