"""The package against real repositories: selection, generated files, the branch commit, --out."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tarfile
from pathlib import Path
from typing import Any

import pytest
from conftest import git as run_git
from conftest import repository_state

from lockgate import git
from lockgate.deploy.gates import run_gates
from lockgate.deploy.package.commit import commit, finish, render_setup
from lockgate.deploy.package.inspect import Package, inspect
from lockgate.deploy.package.out import write_out
from lockgate.deploy.package.select import select
from lockgate.errors import LockgateError
from lockgate.model import AlignResult, Feature, FeatureResult, LayerResult
from lockgate.project.config import Config
from lockgate.store.store import Store

PYPROJECT = """\
[project]
name = "shop"
version = "1.4.0"
description = "A small shop."
requires-python = ">=3.11"
dependencies = ["click>=8"]

[project.optional-dependencies]
fast = ["orjson"]

[project.scripts]
shop = "shop.cli:main"

[tool.lockgate]
[[tool.lockgate.features]]
kind = "service"
paths = ["src/shop"]
"""

FILES = {
    "pyproject.toml": PYPROJECT,
    "README.md": "# shop\n",
    "src/shop/__init__.py": '"""Shop."""\n',
    "src/shop/cart.py": '"""Cart."""\n\n\nclass CartService:\n    """A cart."""\n',
    "tests/test_cart.py": "def test_x():\n    pass\n",
    "tests/conftest.py": "",
    "src/shop/tests/test_inner.py": "",
    "conftest.py": "",
    ".github/workflows/ci.yml": "on: push\n",
    ".gitlab-ci.yml": "x: 1\n",
    ".circleci/config.yml": "x: 1\n",
    ".ci/run.sh": "x\n",
    "src/shop/__pycache__/cart.cpython-311.pyc": "junk",
    "src/shop/old.pyc": "junk",
    ".vscode/settings.json": "{}\n",
    ".idea/workspace.xml": "<x/>\n",
    "src/shop/.cart.py.swp": "junk",
    ".editorconfig": "root = true\n",
    ".pre-commit-config.yaml": "repos: []\n",
    "tox.ini": "[tox]\n",
    "noxfile.py": "",
    ".gitignore": "*.log\n",
    ".mypy_cache/x.json": "{}",
    ".ruff_cache/x": "x",
    ".pytest_cache/v": "x",
    "docs/guide.md": "# guide\n",
    "docs/drafts/wip.md": "wip\n",
}


def config(**deploy: Any) -> Config:
    return Config.model_validate(
        {"features": [{"kind": "service", "paths": ["src/shop"]}], "deploy": deploy}
    )


def make_repo(root: Path, files: dict[str, str]) -> Path:
    root.mkdir()
    run_git(root, "init", "-q", "-b", "main")
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    run_git(root, "add", "-A", "-f")
    run_git(root, "commit", "-q", "-m", "initial")
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "shop", FILES)
    (root / "bin").mkdir()
    (root / "bin" / "run").write_text("#!/bin/sh\nexec shop\n")
    (root / "bin" / "run").chmod(0o755)
    (root / "src" / "shop" / "alias.py").symlink_to("cart.py")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "exec and link")
    return root


def align_result() -> AlignResult:
    f = Feature(
        "shop.cart.CartService", "CartService", "service", "shop.cart", "src/shop/cart.py", 4, False
    )
    layers = {"tested": LayerResult(True, "1 tests, 100.0% of src/shop/cart.py", 0.1)}
    return AlignResult("/x", 95, [FeatureResult(f, layers, 100, "healthy")], [], 0, 0, 0.0)


def build(root: Path, cfg: Config | None = None, store: Store | None = None) -> Package:
    cfg = cfg or config()
    package = inspect(root, cfg, git.head(root), store=store)
    finish(package, align_result(), run_gates(align_result(), cfg, package.evidence))
    return package


# -- selection ---------------------------------------------------------------------------


def test_selection_drops_dev_files_and_configured_excludes(repo: Path) -> None:
    entries = git.ls_tree(repo, git.head(repo))
    shipped = {e.path for e in select(entries, config(exclude=["tests/**", "docs/drafts/"]))}
    assert shipped == {
        "pyproject.toml",
        "README.md",
        "src/shop/__init__.py",
        "src/shop/cart.py",
        "src/shop/alias.py",
        "bin/run",
        "docs/guide.md",
    }


def test_test_roots_from_the_configuration_are_dev_files(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {"qa/check_cart.py": "", "src/shop/cart.py": ""})
    cfg = Config.model_validate(
        {"features": [{"kind": "s", "paths": ["src/shop"]}], "tests": ["qa"]}
    )
    assert [e.path for e in select(git.ls_tree(root, git.head(root)), cfg)] == ["src/shop/cart.py"]


def test_env_files_survive_every_exclude_so_purity_sees_them(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {".env": "X=1\n", "tests/.env": "Y=2\n", "app.py": ""})
    shipped = select(git.ls_tree(root, git.head(root)), config(exclude=[".env", "tests/"]))
    assert [e.path for e in shipped] == [".env", "app.py", "tests/.env"]


def test_submodules_never_ship(repo: Path) -> None:
    head = git.head(repo)
    run_git(repo, "update-index", "--add", "--cacheinfo", f"160000,{head},vendor/lib")
    run_git(repo, "commit", "-q", "-m", "submodule")
    assert "vendor/lib" in {e.path for e in git.ls_tree(repo, git.head(repo))}
    assert "vendor/lib" not in {e.path for e in select(git.ls_tree(repo, git.head(repo)), config())}


# -- the commit --------------------------------------------------------------------------


def test_first_deploy_is_an_orphan_root_and_the_next_builds_on_it(repo: Path) -> None:
    first = commit(repo, build(repo), "lockgate/deploy")
    (repo / "README.md").write_text("# shop, changed\n")
    run_git(repo, "commit", "-qam", "change")
    second = commit(repo, build(repo), "lockgate/deploy")

    assert run_git(repo, "rev-list", "--parents", first).split() == [first]
    assert run_git(repo, "rev-list", "--parents", "-n1", second).split() == [second, first]
    assert git.branch_commit(repo, "lockgate/deploy") == second
    assert git.head(repo) not in run_git(repo, "rev-list", second)


def test_the_branch_holds_the_selection_plus_generated_files_with_modes(repo: Path) -> None:
    made = commit(repo, build(repo), "lockgate/deploy")
    entries = {e.path: e for e in git.ls_tree(repo, made)}

    assert set(entries) == {
        "pyproject.toml",
        "README.md",
        "src/shop/__init__.py",
        "src/shop/cart.py",
        "src/shop/alias.py",
        "bin/run",
        "docs/guide.md",
        "docs/drafts/wip.md",
        "SETUP.md",
        "package-info.json",
    }
    assert entries["bin/run"].mode == "100755"
    assert entries["src/shop/alias.py"].mode == git.SYMLINK
    assert "lockgate deploy: shop 1.4.0" in run_git(repo, "log", "-1", "--format=%B", made)


def test_manifest_sha256s_match_the_blobs_on_the_branch(repo: Path) -> None:
    made = commit(repo, build(repo), "lockgate/deploy")
    info = json.loads(run_git(repo, "show", f"{made}:package-info.json"))
    entries = {e.path: e for e in git.ls_tree(repo, made)}

    assert set(info["manifest"]) == set(entries) - {"package-info.json"}
    for path, item in info["manifest"].items():
        blob = git.read_blob(repo, entries[path].sha)
        assert item == {"sha256": hashlib.sha256(blob).hexdigest(), "size": len(blob)}
    assert info["name"] == "shop" and info["version"] == "1.4.0"
    assert info["commit"] == git.head(repo)
    assert info["features"] == [
        {
            "id": "shop.cart.CartService",
            "kind": "service",
            "internal": False,
            "score": 100,
            "status": "healthy",
        }
    ]
    assert [g["name"] for g in info["gates"]] == [
        "integration",
        "tests",
        "version",
        "purity",
        "mocks",
        "closure",
    ]
    assert info["time"].endswith("Z")


def test_deploying_touches_no_head_index_work_tree_or_untracked_file(repo: Path) -> None:
    (repo / "README.md").write_text("# staged change\n")
    run_git(repo, "add", "README.md")
    (repo / "src" / "shop" / "cart.py").write_text("# unstaged change\n")
    (repo / "notes.txt").write_text("untracked\n")
    before = repository_state(repo)

    made = commit(repo, build(repo), "lockgate/deploy")

    after = repository_state(repo)
    assert after["refs"] != before["refs"]  # only the deploy branch appeared
    after["refs"] = before["refs"]
    assert after == before
    assert run_git(repo, "show", f"{made}:README.md") == "# shop\n"  # HEAD's, not the staged one


def test_a_committed_generated_file_is_refused(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {"SETUP.md": "mine\n", "app.py": ""})
    with pytest.raises(LockgateError, match=r"SETUP\.md is committed"):
        inspect(root, config(), git.head(root))
    inspect(root, config(exclude=["SETUP.md"]), git.head(root))


def test_setup_md_tells_how_to_install_and_run_from_the_metadata(repo: Path) -> None:
    setup = build(repo).generated["SETUP.md"].decode()
    assert setup.startswith("# shop 1.4.0\n\nA small shop.\n")
    assert "Requires Python >=3.11." in setup
    assert "python -m pip install ." in setup
    assert "- `click>=8`" in setup
    assert 'Extra `fast` (`pip install ".[fast]"`): orjson' in setup
    assert "- `shop` runs `shop.cli:main`" in setup


def test_setup_md_without_project_metadata_falls_back_to_requirements(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "plain", {"requirements.txt": "click\n", "app.py": ""})
    package = inspect(root, config(), git.head(root))
    setup = render_setup(package)
    assert setup.startswith("# plain (unversioned)")
    assert "python -m pip install -r requirements.txt" in setup
    assert "declares no `[project.scripts]`" in setup


def test_secret_scans_are_reused_from_the_store(repo: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    try:
        first = build(repo, store=store)
        second = build(repo, store=store)
    finally:
        store.close()
    assert len(first.evidence.scanned) == len(first.files) - 1  # every text file but the link
    assert second.evidence.scanned == {}
    assert second.evidence.secrets == first.evidence.secrets == []


# -- --out -------------------------------------------------------------------------------


def branch_files(root: Path, commit_id: str) -> dict[str, bytes]:
    return {e.path: git.read_blob(root, e.sha) for e in git.ls_tree(root, commit_id)}


def test_out_folder_holds_the_same_files_as_the_branch(repo: Path, tmp_path: Path) -> None:
    package = build(repo)
    made = commit(repo, package, "lockgate/deploy")
    out = tmp_path / "out"

    write_out(repo, package, out)

    written = {
        p.relative_to(out).as_posix(): (
            os.readlink(p).encode() if p.is_symlink() else p.read_bytes()
        )
        for p in out.rglob("*")
        if p.is_symlink() or p.is_file()
    }
    assert written == branch_files(repo, made)
    assert (out / "bin" / "run").stat().st_mode & stat.S_IXUSR
    assert (out / "src" / "shop" / "alias.py").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "shop"]  # no temp leftovers


def test_out_folder_replaces_an_earlier_package_but_never_foreign_data(
    repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    write_out(repo, build(repo), out)
    (out / "stale.txt").write_text("from an older package\n")
    write_out(repo, build(repo), out)
    assert not (out / "stale.txt").exists()

    foreign = tmp_path / "src-of-something"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me\n")
    with pytest.raises(LockgateError, match="not an earlier lockgate package"):
        write_out(repo, build(repo), foreign)
    assert (foreign / "precious.txt").read_text() == "keep me\n"


def test_out_archive_holds_the_same_files_as_the_branch(repo: Path, tmp_path: Path) -> None:
    package = build(repo)
    made = commit(repo, package, "lockgate/deploy")
    out = tmp_path / "shop.tar.gz"
    out.write_bytes(b"an older archive")

    write_out(repo, package, out)

    with tarfile.open(out) as tar:
        members = {m.name: m for m in tar.getmembers()}
        contents = {
            name: (m.linkname.encode() if m.issym() else tar.extractfile(m).read())  # type: ignore[union-attr]
            for name, m in members.items()
        }
    assert contents == branch_files(repo, made)
    assert members["bin/run"].mode == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop", "shop.tar.gz"]


def test_out_needs_an_existing_parent_folder(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(LockgateError, match="does not exist"):
        write_out(repo, build(repo), tmp_path / "missing" / "out")
