"""The differential test of issue 10: whatever lockgate cannot judge blocks the deploy.

One deploy-ready project (``tests/projects/unjudgeable``, four features, committed in a real
repository) is proven to deploy; then one kind of input lockgate cannot judge is put into it and
the deploy must refuse — exit 1 (a blocking gate) or 2 (a configuration error), never 0 —
report ``deployed: false`` and name the file or key. The inputs lockgate *can* judge (a symlink
that stays inside the repository, an empty table that opts in) must still deploy.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Run, copy_project, lockgate
from conftest import git as run_git

BRANCH = "lockgate/deploy"
ORDERS = "src/depot/features/orders.py"
STOCK = "src/depot/features/stock.py"
FEATURES = {"StockService", "OrderService", "CourierService", "InvoiceService"}
# The features that do not import orders.py: a broken orders.py must not fail them.
INDEPENDENT = {"StockService", "CourierService", "InvoiceService"}
SETTINGS = "src/depot/local_settings.py"
IMPORTS_SETTINGS = (
    "from depot.local_settings import MAX_LINES\n",
    '        if len(self.lines) >= MAX_LINES:\n            raise ValueError("order is full")\n',
)
EMPTY_TABLE = (
    '\n[[tool.lockgate.features]]\nkind = "job"\npaths = ["src/depot/jobs"]\nclasses = ["*Job"]\n'
)

_WARM: dict[str, Path] = {}

# The JSON keys of today's contract. Anything else a run prints is new and may carry the reason.
KNOWN_TOP = {"lockgate", "project", "threshold", "features", "summary", "gates", "package"}
KNOWN_FEATURE = {"id", "name", "kind", "path", "line", "internal", "score", "status", "layers"}
KNOWN_SUMMARY = {"features", "mean_score", "healthy", "warning", "critical", "orphans", "cache"}
KNOWN_TOP.add("deployed")
KNOWN_FEATURE.add("performance")
KNOWN_SUMMARY.add("seconds")


@pytest.fixture
def env(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A copy of a store holding the healthy project's results, so only what a test changes
    runs again. The HMAC key is fixed: each test has its own HOME, and a per-user key file
    there would make the warm store serve nothing."""
    key = {"LOCKGATE_KEY": "unjudgeable-test-key, long enough for lockgate"}
    if "depot" not in _WARM:
        base = tmp_path_factory.mktemp("warm")
        warm = {"LOCKGATE_DIR": str(base / "store"), **key}
        run = deploy(copy_project("unjudgeable", base), "--dry-run", env=warm)
        assert run.code == 0, run.stderr
        _WARM["depot"] = base / "store"
    shutil.copytree(_WARM["depot"], tmp_path / "store")
    return {"LOCKGATE_DIR": str(tmp_path / "store"), **key}


@pytest.fixture
def depot(tmp_path: Path, env: dict[str, str]) -> Path:
    """The project in a fresh repository, proven deploy-ready before any test edits it."""
    root = copy_project("unjudgeable", tmp_path)
    run = deploy(root, "--dry-run", env=env)
    assert run.code == 0, run.stderr
    assert run.json["summary"]["features"] == len(FEATURES) and names(run) == FEATURES
    assert all(g["passed"] for g in run.json["gates"])
    return root


def deploy(root: Path, *args: str, env: dict[str, str]) -> Run:
    return lockgate("deploy", root, "--json", *args, env=env)


def commit(root: Path, *paths: str) -> None:
    """Commit ``paths`` (everything ``git add -A`` sees when none are given)."""
    run_git(root, "add", *(paths or ("-A",)))
    run_git(root, "commit", "-q", "-m", "change")


def names(run: Run) -> set[str]:
    return {f["name"] for f in run.json["features"]}


def branch(root: Path) -> str | None:
    out = run_git(root, "for-each-ref", "--format=%(objectname)", f"refs/heads/{BRANCH}")
    return out.strip() or None


def reasons(run: Run) -> str:
    """What a run says is wrong: stderr and, of the JSON, only what failed or is new. A healthy
    run names every feature file (a feature's path, a passing layer's detail), so those cannot
    count as naming the file that blocked."""
    try:
        data = run.json
    except json.JSONDecodeError:
        return run.stderr + run.stdout
    parts = [run.stderr]
    parts += [json.dumps(data[k]) for k in data.keys() - KNOWN_TOP]
    parts += [json.dumps(v) for k, v in data.get("summary", {}).items() if k not in KNOWN_SUMMARY]
    parts += [g["detail"] for g in data.get("gates", []) if not g["passed"]]
    for feature in data.get("features", []):
        failed = [layer["detail"] for layer in feature["layers"].values() if not layer["passed"]]
        if failed:
            parts += [feature["path"], *failed]
        parts += [json.dumps(feature[k]) for k in feature.keys() - KNOWN_FEATURE]
    return "\n".join(parts)


# -- the kinds of input lockgate cannot judge: each edits the project and names the culprit -----


def append_bytes(root: Path, path: str, data: bytes) -> None:
    with (root / path).open("ab") as fh:
        fh.write(data)


def syntax_error(root: Path) -> str:
    append_bytes(root, ORDERS, b"\n\ndef broken(:\n")
    commit(root)
    return ORDERS


def syntax_error_in_an_untested_module(root: Path) -> str:
    # no test imports it, so no test failure hides that the file was never judged
    path = "src/depot/features/returns.py"
    (root / path).write_text(
        'class ReturnService:\n    """Takes goods back."""\n\n\ndef broken(:\n'
    )
    commit(root)
    return path


def nul_byte(root: Path) -> str:
    append_bytes(root, ORDERS, b'\nMARKER = "a\x00b"\n')
    commit(root)
    return ORDERS


def latin1_literal(root: Path) -> str:
    # no coding declaration, so the source must be UTF-8; \xe9 is latin-1's é
    append_bytes(root, ORDERS, b'\nGREETING = "caf\xe9"\n')
    commit(root)
    return ORDERS


def dangling_symlink(root: Path) -> str:
    link = "src/depot/features/ghost.py"
    (root / link).symlink_to("ghost_target.py")
    commit(root)
    return link


def symlink_out_of_repository(root: Path) -> str:
    outside = root.parent / "outside" / "extra.py"
    outside.parent.mkdir()
    outside.write_text('class ExtraService:\n    """Lives outside the repository."""\n')
    link = "src/depot/features/extra.py"
    (root / link).symlink_to(outside)
    commit(root)
    return link


def import_settings(root: Path) -> None:
    """orders.py imports local_settings.py, which the work tree holds and HEAD does not."""
    (root / SETTINGS).write_text("MAX_LINES = 100\n")
    text = (root / ORDERS).read_text()
    text = text.replace("from depot.units", IMPORTS_SETTINGS[0] + "from depot.units")
    text = text.replace(
        "        self.lines.append", IMPORTS_SETTINGS[1] + "        self.lines.append"
    )
    (root / ORDERS).write_text(text)


def ignored_import(root: Path) -> str:
    (root / ".gitignore").write_text("local_settings.py\n")
    import_settings(root)
    commit(root)
    assert run_git(root, "ls-files", SETTINGS) == ""
    return SETTINGS


def untracked_import(root: Path) -> str:
    import_settings(root)
    commit(root, ORDERS)
    assert run_git(root, "status", "--porcelain") == f"?? {SETTINGS}\n"
    return SETTINGS


def edit_pyproject(root: Path, old: str, new: str) -> None:
    text = (root / "pyproject.toml").read_text()
    assert old in text
    (root / "pyproject.toml").write_text(text.replace(old, new))
    commit(root)


def excluded_import(root: Path) -> str:
    # every feature imports units.py; the package would ship without it
    edit_pyproject(
        root,
        "[tool.lockgate.docs]",
        '[tool.lockgate.deploy]\nexclude = ["src/depot/units.py"]\n\n[tool.lockgate.docs]',
    )
    return "src/depot/units.py"


def guides_outside(root: Path) -> str:
    edit_pyproject(root, '"docs/guides/{kebab}.md"', '"/etc/passwd"')
    return "tool.lockgate.docs.guides"


def guides_climbing(root: Path) -> str:
    (root.parent / "guides").mkdir()
    for guide in (root / "docs" / "guides").iterdir():
        shutil.copy(guide, root.parent / "guides")
    edit_pyproject(root, '"docs/guides/{kebab}.md"', '"../guides/{kebab}.md"')
    return "tool.lockgate.docs.guides"


def src_outside(root: Path) -> str:
    # a full copy of the code outside the repository: it would validate, and ship nothing of it
    shutil.copytree(root / "src", root.parent / "elsewhere")
    edit_pyproject(root, "[tool.lockgate]\n", '[tool.lockgate]\nsrc = ["../elsewhere"]\n')
    return "tool.lockgate.src"


def src_outside_beside_a_good_root(root: Path) -> str:
    (root.parent / "elsewhere").mkdir()
    edit_pyproject(root, "[tool.lockgate]\n", '[tool.lockgate]\nsrc = ["src", "../elsewhere"]\n')
    return "tool.lockgate.src"


def feature_paths_outside(root: Path) -> str:
    shutil.copytree(root / "src", root.parent / "elsewhere")
    edit_pyproject(root, '"src/depot/features"', '"../elsewhere/depot/features"')
    return "tool.lockgate.features"


def empty_feature_table(root: Path) -> str:
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text() + EMPTY_TABLE)
    commit(root)
    return "tool.lockgate.features[1]"


Inject = Callable[[Path], str]
PARSE_ERRORS = [
    pytest.param(syntax_error, id="syntax-error"),
    pytest.param(nul_byte, id="nul-byte"),
    pytest.param(latin1_literal, id="latin1-literal"),
]
BLOCKING: list[object] = [
    *(pytest.param(p.values[0], {1}, id=p.id) for p in PARSE_ERRORS),
    pytest.param(syntax_error_in_an_untested_module, {1}, id="syntax-error-untested-module"),
    pytest.param(dangling_symlink, {1, 2}, id="dangling-symlink"),
    pytest.param(symlink_out_of_repository, {2}, id="symlink-out-of-repository"),
    pytest.param(ignored_import, {1}, id="ignored-import"),
    pytest.param(untracked_import, {1}, id="untracked-import"),
    pytest.param(excluded_import, {1}, id="excluded-import"),
    pytest.param(guides_outside, {2}, id="guides-etc-passwd"),
    pytest.param(guides_climbing, {2}, id="guides-dot-dot"),
    pytest.param(src_outside, {2}, id="src-elsewhere"),
    pytest.param(src_outside_beside_a_good_root, {2}, id="src-and-elsewhere"),
    pytest.param(feature_paths_outside, {2}, id="paths-elsewhere"),
    pytest.param(empty_feature_table, {2}, id="empty-feature-table"),
]


@pytest.mark.parametrize("mode", [(), ("--dry-run",)], ids=["deploy", "dry-run"])
@pytest.mark.parametrize(("inject", "codes"), BLOCKING)
def test_unjudgeable_input_blocks_the_deploy_and_names_it(
    depot: Path, env: dict[str, str], inject: Inject, codes: set[int], mode: tuple[str, ...]
) -> None:
    culprit = inject(depot)

    run = deploy(depot, *mode, env=env)

    assert run.code in codes, (run.code, run.stderr, reasons(run))
    if run.stdout:
        assert run.json["deployed"] is False
        assert (run.json.get("package") or {}).get("commit") is None
    assert culprit in reasons(run), reasons(run)
    assert branch(depot) is None


@pytest.mark.parametrize("inject", PARSE_ERRORS)
def test_align_fails_under_for_a_file_it_cannot_parse(
    depot: Path, env: dict[str, str], inject: Inject
) -> None:
    culprit = inject(depot)

    run = lockgate("align", depot, "--fail-under", "1", "--json", env=env)

    assert run.code == 1, (run.stderr, reasons(run))
    assert culprit in reasons(run), reasons(run)
    # fail closed for what the file touches, and only for that
    scores = {f["name"]: f["score"] for f in run.json["features"]}
    assert {name: scores.get(name) for name in INDEPENDENT} == dict.fromkeys(INDEPENDENT, 100)


# -- inputs lockgate can judge: they must still deploy, with every feature --------------------


def symlinked_feature_folder(root: Path) -> None:
    agents = root / "src" / "depot" / "features" / "agents"
    agents.rename(agents.with_name("agents_real"))
    agents.symlink_to("agents_real")
    commit(root)


def symlinked_src_root(root: Path) -> None:
    (root / "src").rename(root / "src_real")
    (root / "src").symlink_to("src_real")
    commit(root)


def empty_table_allowed(root: Path) -> None:
    (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text() + EMPTY_TABLE + "allow_empty = true\n"
    )
    commit(root)


@pytest.mark.parametrize("mode", [(), ("--dry-run",)], ids=["deploy", "dry-run"])
@pytest.mark.parametrize(
    "change",
    [
        pytest.param(symlinked_feature_folder, id="symlinked-feature-folder"),
        pytest.param(symlinked_src_root, id="symlinked-src-root"),
        pytest.param(empty_table_allowed, id="empty-table-allowed"),
    ],
)
def test_a_judgeable_change_still_deploys_every_feature(
    depot: Path, env: dict[str, str], change: Callable[[Path], None], mode: tuple[str, ...]
) -> None:
    change(depot)

    run = deploy(depot, *mode, env=env)

    assert run.code == 0, run.stderr
    assert run.json["summary"]["features"] == len(FEATURES)
    assert names(run) == FEATURES
    assert run.json["deployed"] is (not mode)
    assert (branch(depot) is None) is bool(mode)


# -- --allow-dirty ships what it validated ----------------------------------------------------


def test_allow_dirty_ships_the_validated_work_tree(depot: Path, env: dict[str, str]) -> None:
    good = (depot / STOCK).read_bytes()
    broken = good.replace(b"return left\n", b"return left + 1\n")
    assert broken != good
    (depot / STOCK).write_bytes(broken)
    commit(depot)
    (depot / STOCK).write_bytes(good)  # HEAD fails its tests; the work tree is what validates

    run = deploy(depot, "--allow-dirty", env=env)

    assert run.code == 0, run.stderr
    assert run.json["deployed"] is True
    assert show(depot, f"{BRANCH}:{STOCK}") == good
    info = json.loads(show(depot, f"{BRANCH}:package-info.json"))
    assert info["dirty"] is True


def show(root: Path, spec: str) -> bytes:
    return subprocess.run(["git", "show", spec], cwd=root, check=True, capture_output=True).stdout
