"""lockgate.git on real repositories: parsing, streaming, plumbing, and leaving things alone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import git as run_git

from lockgate import git
from lockgate.errors import LockgateError


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    run_git(root, "init", "-q", "-b", "main")
    (root / "a.txt").write_text("alpha\n")
    (root / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (root / "run.sh").chmod(0o755)
    (root / "sub").mkdir()
    (root / "sub" / "name with space\tand tab.txt").write_text("odd\n")
    (root / "link").symlink_to("a.txt")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "one")
    return root


def test_ls_tree_reads_modes_sizes_and_odd_names(repo: Path) -> None:
    entries = {e.path: e for e in git.ls_tree(repo, git.head(repo))}

    assert set(entries) == {"a.txt", "run.sh", "sub/name with space\tand tab.txt", "link"}
    assert entries["a.txt"].mode == "100644" and entries["a.txt"].size == 6
    assert entries["run.sh"].mode == "100755"
    assert entries["link"].mode == git.SYMLINK
    assert git.read_blob(repo, entries["link"].sha) == b"a.txt"


def test_read_blobs_streams_many_in_order_through_one_process(repo: Path) -> None:
    shas = []
    for i in range(300):
        data = (f"file {i}\n" * (i + 1)).encode()
        shas.append(git.hash_object(repo, data))
    big = git.hash_object(repo, os.urandom(3_000_000))
    wanted = [*shas, big, shas[0]]

    got = list(git.read_blobs(repo, wanted))

    assert [sha for sha, _ in got] == wanted
    assert got[5][1] == b"file 5\n" * 6
    assert len(got[300][1]) == 3_000_000
    assert list(git.read_blobs(repo, [])) == []


def test_read_blobs_names_a_missing_object(repo: Path) -> None:
    with pytest.raises(LockgateError, match="cannot read blob"):
        list(git.read_blobs(repo, ["0" * 40]))


def test_dirty_means_tracked_changes_only(repo: Path) -> None:
    assert not git.is_dirty(repo)
    (repo / "untracked.txt").write_text("new\n")
    assert not git.is_dirty(repo)
    (repo / "a.txt").write_text("changed\n")
    assert git.is_dirty(repo)
    run_git(repo, "add", "a.txt")
    (repo / "a.txt").write_text("alpha\n")  # staged change only
    assert git.is_dirty(repo)


def test_dirty_check_never_rewrites_the_index(repo: Path) -> None:
    index = repo / ".git" / "index"
    os.utime(repo / "a.txt", (1, 1))  # stat-dirty: `git status` would refresh the index
    before = index.read_bytes()

    git.is_dirty(repo)

    assert index.read_bytes() == before


def test_inherited_git_variables_do_not_redirect_us(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    run_git(other, "init", "-q")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "foreign-index"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))

    assert {e.path for e in git.ls_tree(repo, git.head(repo))} >= {"a.txt"}
    assert not git.is_dirty(repo)


def test_require_toplevel(repo: Path, tmp_path: Path) -> None:
    git.require_toplevel(repo)
    with pytest.raises(LockgateError, match="run deploy from there"):
        git.require_toplevel(repo / "sub")
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(LockgateError, match="not inside a git repository"):
        git.require_toplevel(plain)


def test_head_of_a_repository_without_commits(tmp_path: Path) -> None:
    run_git(tmp_path, "init", "-q")
    with pytest.raises(LockgateError, match="no commit yet"):
        git.head(tmp_path)


def test_branch_names(repo: Path) -> None:
    assert git.current_branch(repo) == "main"
    run_git(repo, "branch", "deploy-x")
    assert git.branch_commit(repo, "deploy") is None  # a prefix is not the branch
    assert git.branch_commit(repo, "deploy-x") == git.head(repo)
    git.check_branch_name(repo, "lockgate/deploy")
    with pytest.raises(LockgateError, match="not a valid git branch name"):
        git.check_branch_name(repo, "bad..name")
    run_git(repo, "checkout", "-q", "--detach")
    assert git.current_branch(repo) is None


def test_tree_commit_and_branch_leave_head_index_and_work_tree_alone(repo: Path) -> None:
    (repo / "a.txt").write_text("staged\n")
    run_git(repo, "add", "a.txt")
    index = (repo / ".git" / "index").read_bytes()
    head = git.head(repo)
    blob = git.hash_object(repo, b"packaged\n")

    tree = git.write_tree(repo, [("100644", blob, "pkg/file.txt"), ("100755", blob, "bin/x")])
    first = git.commit_tree(repo, tree, "first\n", None)
    git.update_branch(repo, "lockgate/deploy", first, None)
    second = git.commit_tree(repo, tree, "second\n", first)
    git.update_branch(repo, "lockgate/deploy", second, first)

    assert run_git(repo, "ls-tree", "-r", "--name-only", "lockgate/deploy").split() == [
        "bin/x",
        "pkg/file.txt",
    ]
    assert run_git(repo, "rev-list", "--parents", "lockgate/deploy").split() == [
        second,
        first,
        first,
    ]
    assert git.head(repo) == head
    assert (repo / ".git" / "index").read_bytes() == index
    assert (repo / "a.txt").read_text() == "staged\n"
    assert not (repo / "pkg").exists()


def test_update_branch_is_compare_and_swap(repo: Path) -> None:
    tree = git.write_tree(repo, [("100644", git.hash_object(repo, b"x"), "x")])
    first = git.commit_tree(repo, tree, "first\n", None)
    git.update_branch(repo, "deploy", first, None)
    stale = git.commit_tree(repo, tree, "stale\n", None)

    with pytest.raises(LockgateError, match="moved while lockgate was deploying"):
        git.update_branch(repo, "deploy", stale, None)  # someone created it meanwhile
    assert git.branch_commit(repo, "deploy") == first


def test_commit_without_identity_says_how_to_fix_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
    ):
        monkeypatch.delenv(name)
    run_git(repo, "config", "user.useConfigOnly", "true")
    tree = git.write_tree(repo, [("100644", git.hash_object(repo, b"x"), "x")])

    with pytest.raises(LockgateError, match=r"user\.name and user\.email"):
        git.commit_tree(repo, tree, "m\n", None)
