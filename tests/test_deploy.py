"""``lockgate deploy`` end to end: a user's process on a copied scenario project in a real repo."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
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
        ("closure", True, "error"),
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
    run = lockgate("deploy", "-v", shop, env={**store, "COLUMNS": "80"})  # -v: healthy rows too

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
    # --allow-dirty ships the work tree that was validated, not HEAD
    assert run_git(shop, "show", f"{BRANCH}:README.md") == "staged, not committed\n"


def test_second_deploy_builds_on_the_first(shop: Path, store: dict[str, str]) -> None:
    first = deploy(shop, env=store).json["package"]["commit"]
    commit_files(shop, {"README.md": "A shop, now with a new README.\n"})
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


# -- a deploy ships exactly what it validated --------------------------------------------

IMPORTS_SETTINGS = "from shop import local_settings  # noqa: F401\n"
SETTINGS = {"src/shop/local_settings.py": 'CURRENCY = "EUR"\n', "src/shop/extra.py": "X = 1\n"}


def import_settings(root: Path) -> None:
    cart = root / "src" / "shop" / "features" / "cart.py"
    cart.write_text(IMPORTS_SETTINGS + "from shop import extra  # noqa: F401\n" + cart.read_text())
    for path, text in SETTINGS.items():
        (root / path).write_text(text)


@pytest.mark.parametrize("how", ["ignored", "untracked", "deploy.exclude"])
def test_a_validated_module_that_would_not_ship_blocks_naming_it(
    shop: Path, store: dict[str, str], how: str
) -> None:
    import_settings(shop)
    if how == "ignored":
        (shop / ".gitignore").write_text("local_settings.py\nextra.py\n")
    if how == "deploy.exclude":
        with (shop / "pyproject.toml").open("a") as fh:
            fh.write('\n[tool.lockgate.deploy]\nexclude = ["local_settings.py", "extra.py"]\n')
    run_git(shop, "add", "-A")
    if how == "untracked":
        run_git(shop, "rm", "-q", "--cached", *SETTINGS)
    run_git(shop, "commit", "-q", "-m", "settings")

    run = deploy(shop, env=store)

    assert run.code == 1, run.stderr
    closure = gates_of(run)["closure"]
    assert not closure["passed"] and closure["severity"] == "error"
    for path in SETTINGS:
        assert f"{path} was validated but does not ship" in closure["detail"]
    assert "blocked by closure" in run.stderr
    again = deploy(shop, env=store)  # served whole by the no-change path: the inputs travel too
    assert again.code == 1 and gates_of(again)["closure"] == closure
    assert branch(shop) is None


def test_allow_dirty_ships_the_work_tree_that_was_validated(
    shop: Path, store: dict[str, str]
) -> None:
    cart = shop / "src" / "shop" / "features" / "cart.py"
    good = cart.read_text()
    commit_files(shop, {"src/shop/features/cart.py": good.replace("i.quantity", "0")}, "break")
    cart.write_text(IMPORTS_SETTINGS + good)  # the good file again, reading an untracked module
    (shop / "src" / "shop" / "local_settings.py").write_text('CURRENCY = "EUR"\n')
    head = run_git(shop, "rev-parse", "HEAD").strip()
    before = repository_state(shop)

    run = deploy(shop, "--allow-dirty", env=store)

    assert run.code == 0, run.stderr
    assert run_git(shop, "show", f"{BRANCH}:src/shop/features/cart.py") == cart.read_text()
    assert gates_of(run)["tests"]["passed"] and gates_of(run)["closure"]["passed"]
    assert run.json["package"]["dirty"] is True and run.json["package"]["base"] == head
    assert run_git(shop, "show", f"{BRANCH}:src/shop/local_settings.py") == 'CURRENCY = "EUR"\n'
    info = json.loads(run_git(shop, "show", f"{BRANCH}:package-info.json"))
    assert (info["dirty"], info["base"], info["commit"]) == (True, head, None)
    after = repository_state(shop)
    assert after.pop("refs") != before.pop("refs")
    assert after == before  # HEAD, index and work tree untouched


def test_a_clean_deploy_records_that_it_is_not_dirty(shop: Path, store: dict[str, str]) -> None:
    run = deploy(shop, "--allow-dirty", env=store)

    assert run.code == 0, run.stderr
    info = json.loads(run_git(shop, "show", f"{BRANCH}:package-info.json"))
    assert info["dirty"] is False and "base" not in info
    assert info["commit"] == run_git(shop, "rev-parse", "HEAD").strip()


# -- deploy edge cases -------------------------------------------------------------------


def test_the_branch_checked_out_in_another_work_tree_is_refused(
    shop: Path, store: dict[str, str], tmp_path: Path
) -> None:
    assert deploy(shop, env=store).code == 0
    run_git(shop, "worktree", "add", "-q", str(tmp_path / "wt"), BRANCH)
    commit_files(shop, {"README.md": "changed\n"})
    tip = branch(shop)

    run = deploy(shop, env=store)

    assert run.code == 2
    assert f"branch {BRANCH} is checked out in the work tree {tmp_path / 'wt'}" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert branch(shop) == tip
    assert run_git(tmp_path / "wt", "status", "--porcelain") == ""


def test_a_failed_branch_update_writes_no_out_and_still_prints_json(
    shop: Path, store: dict[str, str], tmp_path: Path
) -> None:
    lock = shop / ".git" / "refs" / "heads" / "lockgate" / "deploy.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text("")  # another git process holds the ref
    out = tmp_path / "out"

    run = deploy(shop, "--out", out, env=store)

    assert run.code == 2
    assert run.json["deployed"] is False
    assert run.json["package"]["out"] is None
    assert f"branch {BRANCH}" in run.json["package"]["error"]
    assert f"branch {BRANCH}" in run.stderr
    assert not out.exists()


def test_a_git_lfs_pointer_blocks_naming_it(shop: Path, store: dict[str, str]) -> None:
    pointer = (
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
        "size 12345\n"
    )
    commit_files(shop, {"assets/logo.png": pointer})

    run = deploy(shop, env=store)

    assert run.code == 1
    assert "Git LFS pointer: assets/logo.png" in gates_of(run)["purity"]["detail"]
    assert branch(shop) is None


def test_submodules_are_reported_as_not_shipped(shop: Path, store: dict[str, str]) -> None:
    head = run_git(shop, "rev-parse", "HEAD").strip()
    run_git(shop, "update-index", "--add", "--cacheinfo", f"160000,{head},vendor/lib")
    run_git(shop, "commit", "-q", "-m", "submodule")
    (shop / "vendor" / "lib").mkdir(parents=True)  # as an uninitialised submodule leaves it
    note = "submodule vendor/lib is not shipped"

    run = deploy(shop, env=store)
    text = lockgate("deploy", shop, "--dry-run", env={**store, "COLUMNS": "200"})

    assert run.code == 0, run.stderr
    assert any(note in n for n in run.json["package"]["notes"])
    assert note in ANSI.sub("", text.stdout)


def test_a_repository_without_commits_gets_one_clear_line(project: Callable[..., Path]) -> None:
    root = project("basic", commit=False)

    run = deploy(root)

    assert run.code == 2
    assert run.stderr.strip().splitlines() == [
        f"lockgate: error: {root}: no commit yet; commit the project before deploying"
    ]


def test_deploying_an_unchanged_tree_adds_no_commit(shop: Path, store: dict[str, str]) -> None:
    first = deploy(shop, env=store)
    again = [deploy(shop, env=store) for _ in range(3)]

    assert first.code == 0, first.stderr
    assert [r.json["package"]["commit"] for r in again] == [branch(shop)] * 3
    assert [r.json["package"]["unchanged"] for r in [first, *again]] == [False, True, True, True]
    assert run_git(shop, "rev-list", "--count", BRANCH).strip() == "1"


# -- .secrets.baseline ---------------------------------------------------------------------

DOC_SECRET = 'Configure it:\n\n    API_KEY = "sk-1234567890abcdef"\n'


def test_secrets_baseline_allows_audited_findings_and_only_those(
    shop: Path, store: dict[str, str]
) -> None:
    commit_files(shop, {"docs/example.md": DOC_SECRET})
    blocked = deploy(shop, "--dry-run", env=store)
    assert blocked.code == 1, blocked.stderr
    assert "secret: docs/example.md:3 (Secret Keyword)" in gates_of(blocked)["purity"]["detail"]

    # detect-secrets' own CLI writes the baseline, as a project would
    scan = subprocess.run(
        [str(Path(sys.executable).parent / "detect-secrets"), "scan"],
        cwd=shop,
        check=True,
        capture_output=True,
        text=True,
    )
    assert "docs/example.md" in json.loads(scan.stdout)["results"]
    commit_files(shop, {".secrets.baseline": scan.stdout}, "audit")
    allowed = deploy(shop, "--dry-run", env=store)
    assert allowed.code == 0, allowed.stderr
    purity = gates_of(allowed)["purity"]
    assert purity["passed"] and "1 finding allowed by .secrets.baseline" in purity["detail"]
    assert "sk-1234567890abcdef" not in allowed.stdout
    assert "159920628cb789601a3ef7859918baa2e9ea7d15" not in allowed.stdout  # nor its hash

    # a new secret is not in the audit; one the audit marked as a real secret is not allowed
    commit_files(shop, {"docs/other.md": 'TOKEN = "AKIAIOSFODNN7EXAMPLE"\n'})
    new = deploy(shop, "--dry-run", env=store)
    assert new.code == 1
    detail = gates_of(new)["purity"]["detail"]
    assert "docs/other.md:1" in detail and "docs/example.md" not in detail
    run_git(shop, "rm", "-q", "docs/other.md")
    audited = json.loads(scan.stdout)
    audited["results"]["docs/example.md"][0]["is_secret"] = True
    commit_files(shop, {".secrets.baseline": json.dumps(audited)}, "audited: a real secret")
    real = deploy(shop, "--dry-run", env=store)
    assert real.code == 1
    assert "docs/example.md:3 (Secret Keyword)" in gates_of(real)["purity"]["detail"]

    # a baseline detect-secrets cannot read blocks with one line
    commit_files(shop, {".secrets.baseline": '{"results": {"docs/example.md": [{}]}}'}, "broken")
    broken = deploy(shop, "--dry-run", env=store)
    assert broken.code == 2
    assert broken.stderr.strip().count("\n") == 0
    assert ".secrets.baseline cannot be read as a detect-secrets baseline" in broken.stderr


# -- dev excludes ----------------------------------------------------------------------------


def test_test_files_anywhere_and_tool_configs_are_not_shipped_unless_shipped_code_imports_them(
    shop: Path, store: dict[str, str]
) -> None:
    pyproject = (shop / "pyproject.toml").read_text()
    configured = pyproject.replace(
        'testpaths = ["tests"]', 'testpaths = ["tests"]\npython_files = ["test_*.py", "check_*.py"]'
    )
    assert configured != pyproject
    commit_files(
        shop,
        {
            "pyproject.toml": configured,
            "src/shop/money_test.py": "def test_money() -> None:\n    assert True\n",
            "src/shop/check_money.py": "def test_checked() -> None:\n    assert True\n",
            "src/shop/sub/test_deep.py": "def test_deep() -> None:\n    assert True\n",
            # named like a test, but shipped code imports it at run time: it must ship
            "src/shop/test_support.py": "def helper() -> int:\n    return 1\n",
            "src/shop/report.py": "from shop.test_support import helper\n\nVALUE = helper()\n",
            ".coveragerc": "[run]\nbranch = false\n",
            "examples/pytest.ini": "[pytest]\n",
            "examples/lockgate.toml": "coverage = 80\n",
            "setup.cfg": "[metadata]\nname = shop\n",
        },
    )

    run = deploy(shop, env=store)

    assert run.code == 0, run.stderr
    names = set(run_git(shop, "ls-tree", "-r", "--name-only", BRANCH).split())
    for dev in (
        "src/shop/money_test.py",
        "src/shop/check_money.py",  # the project's own python_files pattern
        "src/shop/sub/test_deep.py",
        ".coveragerc",
        "examples/pytest.ini",
        "examples/lockgate.toml",
    ):
        assert dev not in names, dev
    assert {"src/shop/test_support.py", "src/shop/report.py", "setup.cfg"} <= names
    assert {"pyproject.toml", "src/shop/cli.py"} <= names
    kept = "src/shop/test_support.py matches a test-file pattern but src/shop/report.py imports it"
    assert any(kept in n for n in run.json["package"]["notes"])
