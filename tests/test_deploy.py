"""``lockgate deploy`` end to end: a user's process on a copied scenario project in a real repo."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, copy_project, lockgate, repository_state
from conftest import git as run_git

BRANCH = "lockgate/deploy"
AWS_KEY = 'AWS_SECRET = "AKIAIOSFODNN7EXAMPLE"\n'
PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


_WARM: dict[str, Path] = {}


@pytest.fixture
def shop(project: Callable[[str], Path]) -> Path:
    return project("basic")


@pytest.fixture
def store(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A store outside the repository (so the repository can be compared byte for byte), holding
    the results of an earlier deploy of the unchanged scenario: results are keyed by content,
    not by folder, so every copy reuses them and only what a test changes runs again."""
    if "basic" not in _WARM:
        base = tmp_path_factory.mktemp("warm")
        warm = base / "store"
        run = deploy(copy_project("basic", base), "--dry-run", env={"LOCKGATE_DIR": str(warm)})
        assert run.code == 0, run.stderr
        _WARM["basic"] = warm
    shutil.copytree(_WARM["basic"], tmp_path / "store")
    return {"LOCKGATE_DIR": str(tmp_path / "store")}


def commit_files(root: Path, files: dict[str, str], message: str = "change") -> None:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", message)


def deploy(root: Path, *args: str | Path, env: dict[str, str] | None = None) -> Run:
    return lockgate("deploy", root, "--json", *args, env=env)


def branch(root: Path) -> str | None:
    out = run_git(root, "for-each-ref", "--format=%(objectname)", f"refs/heads/{BRANCH}")
    return out.strip() or None


def gates_of(run: Run) -> dict[str, dict[str, Any]]:
    return {g["name"]: g for g in run.json["gates"]}


# -- a healthy project ships -------------------------------------------------------------


def test_deploy_commits_the_validated_package_and_reports_it(
    shop: Path, store: dict[str, str]
) -> None:
    run = deploy(shop, env=store)

    assert run.code == 0, run.stderr
    data = run.json
    assert data["deployed"] is True
    assert {"lockgate", "project", "features", "summary", "gates", "package"} <= set(data)
    assert [(g["name"], g["passed"], g["severity"]) for g in data["gates"]] == [
        ("integration", True, "error"),
        ("tests", True, "error"),
        ("version", True, "error"),
        ("purity", True, "error"),
        ("mocks", True, "warning"),
    ]
    package = data["package"]
    assert package["branch"] == BRANCH and package["commit"] == branch(shop)
    assert package["version"] == "0.3.0" and package["out"] is None
    names = run_git(shop, "ls-tree", "-r", "--name-only", BRANCH).split()
    assert package["files"] == len(names)
    assert "SETUP.md" in names and "package-info.json" in names
    assert not [n for n in names if n.startswith("tests/")]
    sizes = run_git(shop, "ls-tree", "-r", "-l", BRANCH).split("\n")
    assert package["bytes"] == sum(int(line.split()[3]) for line in sizes if line)


def test_console_output_has_both_tables_and_the_push_command(
    shop: Path, store: dict[str, str]
) -> None:
    run = lockgate("deploy", shop, env={**store, "COLUMNS": "80"})

    assert run.code == 0, run.stderr
    text = ANSI.sub("", run.stdout)
    assert text.index("CartService") < text.index("integration") < text.index("git push origin")
    assert f"push it with: git push origin {BRANCH}" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_deploy_leaves_head_index_work_tree_and_untracked_files_alone(
    shop: Path, store: dict[str, str]
) -> None:
    (shop / "README.md").write_text("staged, not committed\n")
    run_git(shop, "add", "README.md")
    (shop / "scratch.txt").write_text("untracked\n")
    before = repository_state(shop)

    run = deploy(shop, "--allow-dirty", env=store)

    assert run.code == 0, run.stderr
    after = repository_state(shop)
    assert after.pop("refs") != before.pop("refs")
    assert after == before
    assert run_git(shop, "show", f"{BRANCH}:README.md") == run_git(shop, "show", "HEAD:README.md")


def test_second_deploy_builds_on_the_first(shop: Path, store: dict[str, str]) -> None:
    first = deploy(shop, env=store).json["package"]["commit"]
    second = deploy(shop, env=store).json["package"]["commit"]

    assert run_git(shop, "rev-list", "--parents", first).split() == [first]
    assert run_git(shop, "rev-list", "--parents", "-n1", second).split() == [second, first]


def test_manifest_matches_the_blobs_on_the_branch(shop: Path, store: dict[str, str]) -> None:
    made = deploy(shop, env=store).json["package"]["commit"]
    info = json.loads(run_git(shop, "show", f"{made}:package-info.json"))

    shipped = run_git(shop, "ls-tree", "-r", "--name-only", made).split()
    assert sorted(info["manifest"]) == sorted(set(shipped) - {"package-info.json"})
    for path, item in info["manifest"].items():
        blob = run_git_bytes(shop, "cat-file", "blob", f"{made}:{path}")
        assert item == {"sha256": hashlib.sha256(blob).hexdigest(), "size": len(blob)}
    assert info["commit"] == run_git(shop, "rev-parse", "HEAD").strip()
    assert {f["id"]: f["score"] for f in info["features"]} == {
        "shop.features.cart.CartService": 100,
        "shop.features.catalog.CatalogService": 100,
        "shop.features.pricing.PricingService": 100,
    }


def run_git_bytes(root: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True).stdout


def test_dry_run_leaves_the_repository_byte_identical(shop: Path, store: dict[str, str]) -> None:
    before = repository_state(shop, whole_git_dir=True)

    run = deploy(shop, "--dry-run", env=store)

    assert run.code == 0, run.stderr
    assert run.json["deployed"] is False
    assert run.json["package"]["commit"] is None and run.json["package"]["files"] > 0
    assert repository_state(shop, whole_git_dir=True) == before


def test_dry_run_lists_what_would_ship(shop: Path, store: dict[str, str]) -> None:
    run = lockgate("deploy", shop, "--dry-run", env=store)
    assert run.code == 0, run.stderr
    assert "src/shop/features/cart.py" in run.stdout and "SETUP.md (generated)" in run.stdout
    assert "nothing was written" in run.stdout
    assert branch(shop) is None


def test_out_writes_the_package_as_an_archive_too(
    shop: Path, tmp_path: Path, store: dict[str, str]
) -> None:
    out = tmp_path / "shop.tar.gz"
    run = deploy(shop, "--out", out, env=store)

    assert run.code == 0, run.stderr
    assert run.json["package"]["out"] == str(out)
    with tarfile.open(out) as tar:
        names = sorted(tar.getnames())
    assert names == sorted(run_git(shop, "ls-tree", "-r", "--name-only", BRANCH).split())


def test_branch_option_and_the_checked_out_branch(shop: Path, store: dict[str, str]) -> None:
    run = deploy(shop, "--branch", "release/ship", env=store)
    assert run.code == 0, run.stderr
    assert run.json["package"]["branch"] == "release/ship"
    assert run_git(shop, "rev-parse", "release/ship").strip() == run.json["package"]["commit"]

    refused = deploy(shop, "--branch", "main", env=store)
    assert refused.code == 2
    assert "branch main is checked out here" in refused.stderr


# -- refusals and blocks -----------------------------------------------------------------


def test_a_dirty_work_tree_is_refused_before_any_validation(shop: Path, tmp_path: Path) -> None:
    (shop / "src" / "shop" / "money.py").write_text("# edited\n")
    fresh = {"LOCKGATE_DIR": str(tmp_path / "fresh")}

    run = deploy(shop, env=fresh)

    assert run.code == 2
    assert "--allow-dirty" in run.stderr
    assert run.stdout == ""
    assert not (tmp_path / "fresh").exists()  # align never ran
    assert branch(shop) is None


@pytest.mark.parametrize(
    ("files", "gate", "detail"),
    [
        ({"src/shop/settings.py": AWS_KEY}, "purity", "src/shop/settings.py:1 (AWS Access Key)"),
        ({"deploy/key.txt": PRIVATE_KEY}, "purity", "deploy/key.txt:1 (Private Key)"),
        ({".env": "DEBUG=1\n"}, "purity", "dev file: .env (environment file)"),
        ({"VERSION": "0.4.0\n"}, "version", "VERSION=0.4.0, pyproject.toml=0.3.0"),
        # issue 14: the package's own VERSION file and __version__ are version files by default
        (
            {"src/shop/VERSION": "0.4.0\n"},
            "version",
            "pyproject.toml=0.3.0, src/shop/VERSION=0.4.0",
        ),
        (
            {"src/shop/__init__.py": '"""shop."""\n\n__version__ = "0.5.0"\n'},
            "version",
            "pyproject.toml=0.3.0, src/shop/__init__.py=0.5.0",
        ),
    ],
)
def test_a_failing_error_gate_blocks_and_writes_nothing(
    shop: Path, files: dict[str, str], gate: str, detail: str, store: dict[str, str]
) -> None:
    commit_files(shop, files)

    run = deploy(shop, env=store)

    assert run.code == 1
    assert run.json["deployed"] is False and run.json["package"]["commit"] is None
    assert not gates_of(run)[gate]["passed"]
    assert detail in gates_of(run)[gate]["detail"]
    assert f"blocked by {gate}" in run.stderr
    assert branch(shop) is None


def test_a_symlink_to_etc_passwd_blocks(shop: Path, store: dict[str, str]) -> None:
    (shop / "src" / "shop" / "passwd").symlink_to("/etc/passwd")
    commit_files(shop, {})

    run = deploy(shop, env=store)

    assert run.code == 1
    assert "src/shop/passwd -> /etc/passwd" in gates_of(run)["purity"]["detail"]
    assert branch(shop) is None


def test_a_blocked_deploy_moves_nothing(shop: Path, store: dict[str, str]) -> None:
    assert deploy(shop, env=store).code == 0
    commit_files(shop, {"src/shop/settings.py": AWS_KEY})
    before = repository_state(shop, whole_git_dir=True)

    run = deploy(shop, env=store)

    assert run.code == 1
    assert repository_state(shop, whole_git_dir=True) == before


def test_failing_tests_and_low_scores_block(shop: Path, store: dict[str, str]) -> None:
    test = (shop / "tests" / "test_cart.py").read_text().replace('"21.00"', '"99.99"')
    commit_files(shop, {"tests/test_cart.py": test})
    (shop / "docs" / "guides" / "pricing-service.md").unlink()
    commit_files(shop, {})

    run = deploy(shop, env=store)

    assert run.code == 1
    gates = gates_of(run)
    assert "tests/test_cart.py::test_total" in gates["tests"]["detail"]
    assert "shop.features.pricing.PricingService 83 (12 under)" in gates["integration"]["detail"]


def test_a_warning_gate_reports_but_does_not_block(shop: Path, store: dict[str, str]) -> None:
    commit_files(shop, {"src/shop/fakes.py": "from unittest.mock import MagicMock\n"})

    run = deploy(shop, env=store)

    assert run.code == 0, run.stderr
    mocks = gates_of(run)["mocks"]
    assert mocks["passed"] is False and mocks["severity"] == "warning"
    assert mocks["detail"] == "src/shop/fakes.py:1 from unittest.mock import MagicMock"
    assert run.json["deployed"] is True


# -- incremental -------------------------------------------------------------------------


def test_a_deploy_after_an_unchanged_align_runs_no_test(shop: Path) -> None:
    assert lockgate("align", shop, "--json").code == 0

    run = deploy(shop)

    assert run.code == 0, run.stderr
    layers = [layer for f in run.json["features"] for layer in f["layers"].values()]
    assert all(layer["cached"] for layer in layers)
    assert run.json["summary"]["cache"]["misses"] == 0  # nothing ran, the suite included
