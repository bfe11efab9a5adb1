"""Issue 20: a deploy ships exactly what it validated, file by file.

Each case starts from the deploy-ready project of issue 10 (``tests/projects/unjudgeable``, in a
real repository with a warm store), hides a difference between what validation sees and what
would ship — git's index flags, a sparse checkout, an edit made while the run runs, code that
nothing validates, dev files that shipped code imports, a weak signing key — and the deploy must
refuse (exit 1 for a blocking gate, 2 for a setting), name the file and write no branch. The
healthy variants (line endings git converts, files only validation reads, imports that resolve)
must still deploy.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git as run_git
from conftest import lockgate
from test_unjudgeable import BRANCH, STOCK, branch, commit, deploy, depot, env, reasons, show

__all__ = ["depot", "env"]  # the fixtures, shared with test_unjudgeable

RETURNS = "src/depot/features/returns.py"
# A feature that fails every layer it can: it does not import, so nothing constructs it, it has
# no docstring, no guide, no test, and nothing wires it.
FAILING = "import depot.nowhere_at_all\n\n\nclass ReturnService:\n    pass\n"


def blocked(run_code: int, root: Path, culprit: str, text: str) -> None:
    assert run_code == 1, text
    assert culprit in text, text
    assert branch(root) is None


# -- 1. git's index hides files from git status ----------------------------------------------


def test_a_skip_worktree_file_missing_from_the_work_tree_blocks(
    depot: Path, env: dict[str, str]
) -> None:
    (depot / RETURNS).write_text(FAILING)
    commit(depot)
    run_git(depot, "update-index", "--skip-worktree", RETURNS)
    (depot / RETURNS).unlink()
    assert run_git(depot, "status", "--porcelain") == ""

    run = deploy(depot, env=env)

    blocked(run.code, depot, RETURNS, reasons(run))


def test_an_assume_unchanged_pyproject_that_differs_blocks(
    depot: Path, env: dict[str, str]
) -> None:
    text = (depot / "pyproject.toml").read_text()
    # what ships declares another threshold and version than what validation read
    (depot / "pyproject.toml").write_text(
        text.replace('version = "1.0.0"', 'version = "9.9.9"').replace(
            "coverage = 80", "coverage = 80\nthreshold = 1"
        )
    )
    commit(depot)
    run_git(depot, "update-index", "--assume-unchanged", "pyproject.toml")
    (depot / "pyproject.toml").write_text(text)
    assert run_git(depot, "status", "--porcelain") == ""

    run = deploy(depot, env=env)

    blocked(run.code, depot, "pyproject.toml", reasons(run))


def test_a_sparse_checkout_that_leaves_out_a_shipped_file_blocks(
    depot: Path, env: dict[str, str]
) -> None:
    (depot / RETURNS).write_text(FAILING)
    commit(depot)
    run_git(depot, "sparse-checkout", "set", "--no-cone", "/*", f"!/{RETURNS}")
    assert not (depot / RETURNS).exists()
    assert run_git(depot, "status", "--porcelain") == ""

    run = deploy(depot, env=env)

    blocked(run.code, depot, RETURNS, reasons(run))


def test_a_skip_worktree_file_with_the_committed_bytes_still_deploys(
    depot: Path, env: dict[str, str]
) -> None:
    # the flag alone hides nothing when the work tree holds what ships
    run_git(depot, "update-index", "--skip-worktree", "README.md")

    run = deploy(depot, env=env)

    assert run.code == 0, reasons(run)
    assert branch(depot) is not None


def test_a_file_edited_after_the_run_blocks(depot: Path, env: dict[str, str]) -> None:
    # an untested file that no result hashes, different in the work tree than in HEAD, with
    # git told not to look: nothing validated the bytes that ship
    (depot / "src/depot/jobs/nightly.py").write_text("# committed\n")
    commit(depot)
    run_git(depot, "update-index", "--assume-unchanged", "src/depot/jobs/nightly.py")
    (depot / "src/depot/jobs/nightly.py").write_text("# what validation saw\n")

    run = deploy(depot, env=env)

    blocked(run.code, depot, "src/depot/jobs/nightly.py", reasons(run))


# -- 6. line endings and filters: compared after git's own conversion -----------------------


def checkout_again(root: Path) -> None:
    """Write every tracked file anew, as git converts it for the work tree."""
    for path in run_git(root, "ls-files").split():
        (root / path).unlink()
    run_git(root, "checkout", "--", ".")
    assert run_git(root, "status", "--porcelain") == ""


@pytest.mark.parametrize("how", ["gitattributes", "autocrlf"])
def test_files_git_converts_still_deploy(depot: Path, env: dict[str, str], how: str) -> None:
    if how == "gitattributes":
        (depot / ".gitattributes").write_text("*.py text eol=crlf\n*.md text eol=crlf\n")
        commit(depot)
    else:
        run_git(depot, "config", "core.autocrlf", "true")
    checkout_again(depot)
    assert b"\r\n" in (depot / STOCK).read_bytes()

    run = deploy(depot, env=env)

    assert run.code == 0, reasons(run)
    assert b"\r\n" not in show(depot, f"{BRANCH}:{STOCK}")  # what git stores ships


# -- 2. a file edited while the deploy runs --------------------------------------------------

BROKEN_STOCK = b"return left + 1\n"
# The project's own test does the editing, so the edit lands between planning and the retry's
# copy of the tree, every time: its first attempt writes a fixed stock.py into the real work
# tree (and touches its own copy, which the sandbox then restores from the work tree); the
# retry runs on the fix and puts the committed bytes back. The real root comes reversed, so
# that lockgate does not point it into its sandbox.
EDITING_TEST = """
import os
from pathlib import Path

import pytest

import depot.features.stock as stock_module
from depot.features.stock import StockService

REAL = Path(os.environ["DEPOT_REAL_ROOT_REVERSED"][::-1]) / "{stock}"
HERE = Path(stock_module.__file__)
BROKEN = {broken!r}
FIXED = b"return left\\n"


def test_take():
    body = HERE.read_bytes()
    if BROKEN in body:  # the first attempt: the committed, failing code
        REAL.write_bytes(body.replace(BROKEN, FIXED))
        HERE.write_bytes(body.replace(BROKEN, FIXED))
    else:  # the retry, on the edit: put the committed bytes back
        REAL.write_bytes(body.replace(FIXED, BROKEN))
    stock = StockService()
    assert stock.take("bolt", 4) == 6
    with pytest.raises(ValueError):
        stock.take("nut", 0)
"""


def test_results_whose_inputs_moved_during_the_run_do_not_count(
    depot: Path, env: dict[str, str]
) -> None:
    good = (depot / STOCK).read_bytes()
    (depot / STOCK).write_bytes(good.replace(b"return left\n", BROKEN_STOCK))
    (depot / "tests" / "test_stock.py").write_text(
        EDITING_TEST.format(stock=STOCK, broken=BROKEN_STOCK)
    )
    text = (depot / "pyproject.toml").read_text()
    (depot / "pyproject.toml").write_text(text.replace("timeout = 20", "timeout = 20\nretries = 1"))
    commit(depot)
    committed = (depot / STOCK).read_bytes()

    run = deploy(depot, env={**env, "DEPOT_REAL_ROOT_REVERSED": str(depot)[::-1]})

    assert (depot / STOCK).read_bytes() == committed  # the test put the bytes back
    blocked(run.code, depot, STOCK, reasons(run))


# -- 3. shipped code that nothing validated --------------------------------------------------

BASE = "src/depot/base.py"


def unvalidated(root: Path, path: str, body: str) -> None:
    (root / path).write_text(body)
    commit(root)


@pytest.mark.parametrize(
    ("path", "body", "culprit"),
    [
        pytest.param(
            BASE,
            "from depot.local_settings import MAX_LINES\n\n\nclass Base:\n    limit = MAX_LINES\n",
            "depot.local_settings",
            id="ignored-module",
        ),
        pytest.param(
            BASE,
            "from . import local_settings\n",
            "local_settings",
            id="relative-ignored-module",
        ),
        pytest.param(BASE, "def broken(:\n", BASE, id="does-not-parse"),
        pytest.param(
            BASE, "import nowhere_to_be_found_dep\n", "nowhere_to_be_found_dep", id="undeclared"
        ),
        pytest.param(
            "src/depot/jobs/helper.py",
            "from depot.jobs.missing import run\n",
            "depot.jobs.missing",
            id="missing-submodule",
        ),
    ],
)
def test_shipped_code_that_does_not_resolve_blocks(
    depot: Path, env: dict[str, str], path: str, body: str, culprit: str
) -> None:
    (depot / ".gitignore").write_text("local_settings.py\n")
    (depot / "src/depot/local_settings.py").write_text("MAX_LINES = 3\n")
    unvalidated(depot, path, body)

    run = deploy(depot, env=env)

    blocked(run.code, depot, culprit, reasons(run))
    assert path in reasons(run)


GOOD_IMPORTS = """\
from __future__ import annotations

import json
import os.path
from typing import TYPE_CHECKING

import pathspec

from depot import units
from depot.features import stock
from depot.units import positive
from . import cli
from .features.orders import OrderService

try:
    import nowhere_optional_speedup
except ImportError:
    nowhere_optional_speedup = None

if TYPE_CHECKING:
    import nowhere_only_for_types


def lazy():
    try:
        from nowhere_optional import thing
    except ModuleNotFoundError:
        return None
    return thing
"""


def test_shipped_code_whose_imports_resolve_deploys(depot: Path, env: dict[str, str]) -> None:
    text = (depot / "pyproject.toml").read_text()
    (depot / "pyproject.toml").write_text(
        text.replace(
            'requires-python = ">=3.11"',
            'requires-python = ">=3.11"\ndependencies = ["pathspec>=0.9"]',
        )
    )
    unvalidated(depot, BASE, GOOD_IMPORTS)

    run = deploy(depot, env=env)

    assert run.code == 0, reasons(run)
    assert BASE.encode() in show(depot, f"{BRANCH}:package-info.json")


# -- 4. dev files that shipped code imports --------------------------------------------------


@pytest.mark.parametrize(
    ("dev", "body", "culprit"),
    [
        pytest.param(
            "src/depot/conftest.py",
            "from depot.conftest import FIXTURE_SKU\n",
            "src/depot/conftest.py",
            id="conftest-under-src",
        ),
        pytest.param(
            "tests/helpers.py",
            "from tests.helpers import FIXTURE_SKU\n",
            "tests/helpers.py",
            id="tests-root-module",
        ),
    ],
)
def test_shipped_code_importing_a_dev_file_blocks(
    depot: Path, env: dict[str, str], dev: str, body: str, culprit: str
) -> None:
    (depot / dev).write_text('FIXTURE_SKU = "bolt"\n')
    unvalidated(depot, BASE, body)

    run = deploy(depot, env=env)

    blocked(run.code, depot, culprit, reasons(run))
    assert BASE in reasons(run)


# -- 5. a weak local key ---------------------------------------------------------------------


@pytest.mark.parametrize("key", ["ab", "x" * 31])
@pytest.mark.parametrize("command", ["align", "deploy"])
def test_a_weak_lockgate_key_is_refused(
    depot: Path, env: dict[str, str], key: str, command: str
) -> None:
    run = lockgate(command, depot, "--json", env={**env, "LOCKGATE_KEY": key})

    assert run.code == 2, (run.code, run.stderr)
    assert "LOCKGATE_KEY" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert branch(depot) is None


# -- 7. inputs that only validation reads --------------------------------------------------

SUPPORT = "support/factories.py"


def exclude_validation_only(root: Path) -> None:
    """Guides and a test-support module of factories, both kept out of the package."""
    (root / "support").mkdir()
    (root / SUPPORT).write_text(
        "from depot.features.stock import StockService\n\n\n"
        "def stock() -> StockService:\n    return StockService()\n"
    )
    text = (root / "pyproject.toml").read_text()
    text = text.replace(
        "[tool.lockgate.docs]",
        '[tool.lockgate.deploy]\nexclude = ["docs/", "support/"]\n\n'
        '[tool.lockgate.instantiate]\n"depot.features.stock.StockService" = '
        '"support.factories:stock"\n\n[tool.lockgate.docs]',
    )
    (root / "pyproject.toml").write_text(text)


def test_files_only_validation_reads_need_not_ship(depot: Path, env: dict[str, str]) -> None:
    exclude_validation_only(depot)
    commit(depot)

    run = deploy(depot, env=env)

    assert run.code == 0, reasons(run)
    files = show(depot, f"{BRANCH}:package-info.json").decode()
    assert "docs/guides" not in files and SUPPORT not in files
    closure = next(g for g in run.json["gates"] if g["name"] == "closure")
    assert "only validation reads" in closure["detail"], closure


def test_an_excluded_file_the_shipped_code_loads_still_blocks_and_says_so(
    depot: Path, env: dict[str, str]
) -> None:
    exclude_validation_only(depot)
    # a data file every result depends on (declared input): the shipped code may read it
    text = (depot / "pyproject.toml").read_text()
    text = text.replace("coverage = 80", 'coverage = 80\ninputs = ["src/depot/rates.json"]')
    text = text.replace('"docs/", "support/"', '"docs/", "support/", "src/depot/rates.json"')
    (depot / "pyproject.toml").write_text(text)
    (depot / "src/depot/rates.json").write_text("{}\n")
    commit(depot)

    run = deploy(depot, env=env)

    blocked(run.code, depot, "src/depot/rates.json", reasons(run))
    closure = next(g for g in run.json["gates"] if g["name"] == "closure")
    assert "docs/guides" not in closure["detail"] and SUPPORT not in closure["detail"]
    assert "the shipped code" in closure["detail"]
