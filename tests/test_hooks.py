"""lockgate hooks install|uninstall in real repositories: a commit warms the store in the
background, git does not wait for it, and the hooks that were there keep running."""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

from conftest import PROJECTS, Run, git, lockgate

HOOKS = ("post-commit", "post-merge", "post-checkout")
WARM_TIMEOUT = 120
# A hook that was there before lockgate: records its arguments and stdin, and fails on purpose.
OLD_HOOK = '#!/bin/sh\nprintf "%s|" "$0" "$@" >>"{marker}"\ncat >>"{marker}"\nexit 7\n'


def install(root: Path) -> Run:
    run = lockgate("hooks", "install", root)
    assert run.code == 0, run.stderr
    return run


def commit(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``git commit`` as a user runs it: no virtual environment on PATH, hooks enabled."""
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != venv_bin)
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    return subprocess.run(
        ["git", "commit", "-q", *args],
        cwd=root,
        env={**env, "PATH": path},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )


def warm_runs(root: Path) -> int:
    """How many warms the store has recorded, as ``lockgate cache stats`` reports them."""
    if not (root / ".lockgate" / "store.sqlite").exists():
        return 0
    run = lockgate("cache", "stats", root, "--json")
    assert run.code == 0, run.stderr
    return sum(r["command"] == "warm" for r in run.json["runs"])


def wait_for_warm(root: Path, count: int = 1) -> float:
    """Block until ``count`` warms were recorded and the warmer let go of its lock; seconds."""
    started = time.monotonic()
    while warm_runs(root) < count:
        if time.monotonic() - started > WARM_TIMEOUT:
            log = root / ".lockgate" / "warm.log"
            said = log.read_text() if log.exists() else "(no warm.log)"
            raise AssertionError(f"no warm finished within {WARM_TIMEOUT}s; warm.log: {said}")
        time.sleep(0.25)
    # The run is recorded just before the warmer releases its lock and exits.
    with (root / ".lockgate" / "warm.lock").open("rb") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
    return time.monotonic() - started


def cached(run: Run) -> dict[tuple[str, str], bool]:
    return {
        (f["name"], name): layer["cached"]
        for f in run.json["features"]
        for name, layer in f["layers"].items()
    }


def listing(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of a folder with its content and mode."""
    return {p.name: (p.read_bytes(), stat.S_IMODE(p.stat().st_mode)) for p in folder.iterdir()}


def test_a_commit_warms_the_store_and_align_then_reruns_nothing(project: Any) -> None:
    root = project("basic")
    run = install(root)
    assert run.stdout.splitlines() == [f"installed .git/hooks/{name}" for name in HOOKS]
    with (root / "src" / "shop" / "money.py").open("a") as fh:
        fh.write("\n# touched\n")

    commit(root, "-am", "touch money")
    seconds = wait_for_warm(root)
    print(f"warm finished {seconds:.1f}s after the commit")

    align = lockgate("align", root, "--json")
    assert align.code == 0, align.stderr
    assert all(cached(align).values()), cached(align)
    assert (root / ".lockgate" / "warm.log").read_text() == ""
    assert git(root, "status", "--porcelain") == ""


def test_git_commit_does_not_wait_for_the_warm(project: Any) -> None:
    root = project("basic")
    started = time.perf_counter()
    commit(root, "--allow-empty", "-m", "without hooks")
    without = (time.perf_counter() - started) * 1000
    install(root)

    started = time.perf_counter()
    commit(root, "--allow-empty", "-m", "with hooks")
    with_hooks = (time.perf_counter() - started) * 1000
    unfinished = warm_runs(root) == 0

    print(f"git commit: {with_hooks:.0f} ms with hooks, {without:.0f} ms without")
    assert with_hooks < 2000
    assert unfinished, "the warm was already done when git commit returned"
    wait_for_warm(root)


def test_an_existing_hook_still_runs_and_uninstall_restores_it(
    project: Any, tmp_path: Path
) -> None:
    root = project("basic")
    marker = tmp_path / "marker"
    old = root / ".git" / "hooks" / "post-commit"
    old.write_text(OLD_HOOK.format(marker=marker))
    old.chmod(0o750)
    before = listing(old.parent)

    run = install(root)
    assert run.stdout.splitlines()[0] == (
        "installed .git/hooks/post-commit "
        "(the previous hook, now post-commit.lockgate-orig, runs first)"
    )
    commit(root, "--allow-empty", "-m", "hooked")
    assert marker.read_text().endswith("post-commit.lockgate-orig|")
    wait_for_warm(root)

    run = lockgate("hooks", "uninstall", root)
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines() == [
        "restored .git/hooks/post-commit",
        "removed .git/hooks/post-merge",
        "removed .git/hooks/post-checkout",
    ]
    assert listing(old.parent) == before


def test_the_old_hook_gets_the_same_arguments_and_stdin_and_its_status(
    project: Any, tmp_path: Path
) -> None:
    root = project("basic")
    marker = tmp_path / "marker"
    old = root / ".git" / "hooks" / "post-checkout"
    old.write_text(OLD_HOOK.format(marker=marker))
    old.chmod(0o755)
    install(root)

    proc = subprocess.run(
        [str(old), "a b", "c", "1"], cwd=root, input="from stdin\n", capture_output=True, text=True
    )

    assert proc.returncode == 7
    assert (proc.stdout, proc.stderr) == ("", "")
    assert marker.read_text() == f"{old}.lockgate-orig|a b|c|1|from stdin\n"
    wait_for_warm(root)


def test_installing_twice_wraps_once(project: Any, tmp_path: Path) -> None:
    root = project("basic")
    marker = tmp_path / "marker"
    folder = root / ".git" / "hooks"
    (folder / "post-commit").write_text(OLD_HOOK.format(marker=marker))
    (folder / "post-commit").chmod(0o755)
    install(root)
    first = listing(folder)

    again = install(root)

    assert again.stdout.splitlines() == [
        f".git/hooks/{name} is already installed" for name in HOOKS
    ]
    assert listing(folder) == first
    assert (folder / "post-commit.lockgate-orig").read_text() == OLD_HOOK.format(marker=marker)
    commit(root, "--allow-empty", "-m", "once")
    assert marker.read_text().count("|") == 1
    wait_for_warm(root)


def test_uninstall_with_nothing_installed_changes_nothing(project: Any) -> None:
    root = project("basic")
    folder = root / ".git" / "hooks"
    before = listing(folder)

    run = lockgate("hooks", "uninstall", root)

    assert run.code == 0, run.stderr
    assert run.stdout == "no lockgate hooks in .git/hooks\n"
    assert listing(folder) == before


def test_core_hooks_path_inside_the_repository_is_respected(project: Any) -> None:
    root = project("basic")
    git(root, "config", "core.hooksPath", ".githooks")
    default = listing(root / ".git" / "hooks")

    run = install(root)

    assert run.stdout.splitlines() == [f"installed .githooks/{name}" for name in HOOKS]
    assert sorted(p.name for p in (root / ".githooks").iterdir()) == sorted(HOOKS)
    assert listing(root / ".git" / "hooks") == default
    commit(root, "--allow-empty", "-m", "hooked")
    wait_for_warm(root)


def test_core_hooks_path_outside_the_repository_is_refused(project: Any, tmp_path: Path) -> None:
    root = project("basic")
    shared = tmp_path / "shared-hooks"
    shared.mkdir()
    git(root, "config", "core.hooksPath", str(shared))
    default = listing(root / ".git" / "hooks")

    run = lockgate("hooks", "install", root)

    assert run.code == 2
    assert len(run.stderr.splitlines()) == 1
    assert "core.hooksPath" in run.stderr and str(shared) in run.stderr
    assert list(shared.iterdir()) == []
    assert listing(root / ".git" / "hooks") == default


def test_path_must_be_a_configured_project_in_a_git_work_tree(project: Any, tmp_path: Path) -> None:
    root = project("basic")
    (root / "pyproject.toml").unlink()
    unconfigured = lockgate("hooks", "install", root)
    outside = shutil.copytree(PROJECTS / "basic", tmp_path / "no-git")
    not_a_repo = lockgate("hooks", "install", outside)

    assert unconfigured.code == 2 and "[tool.lockgate]" in unconfigured.stderr
    assert not_a_repo.code == 2 and "not inside a git work tree" in not_a_repo.stderr
    assert not any(p.name in HOOKS for p in (root / ".git" / "hooks").iterdir())


def test_a_hook_whose_interpreter_is_gone_says_nothing(project: Any, tmp_path: Path) -> None:
    root = project("basic")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    site = subprocess.run(
        [
            venv / "bin" / "python",
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # The throwaway interpreter sees this environment's packages, lockgate among them.
    here = sysconfig.get_paths()["purelib"]
    (Path(site) / "here.pth").write_text(f"import site; site.addsitedir({here!r})\n")
    proc = subprocess.run(
        [venv / "bin" / "python", "-m", "lockgate", "hooks", "install", root],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert str(venv / "bin" / "python") in (root / ".git" / "hooks" / "post-commit").read_text()
    shutil.rmtree(venv)

    done = commit(root, "--allow-empty", "-m", "no interpreter")

    assert (done.stdout, done.stderr) == ("", "")
    time.sleep(0.5)
    assert not (root / ".lockgate" / "store.sqlite").exists()


def test_a_second_warmer_exits_quietly(project: Any) -> None:
    root = project("basic")
    command = [sys.executable, "-m", "lockgate", "cache", "warm", "--quiet", str(root)]
    warmers = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=WARM_TIMEOUT) for w in warmers]

    assert [w.returncode for w in warmers] == [0, 0]
    assert outputs == [("", ""), ("", "")]
    assert warm_runs(root) == 1
