"""Differential per kind of input a key can miss (issue 9).

After one edit of the `soundkeys` scenario, an incremental `align --json` (the store filled by a
first run) must give the verdicts of `align --json --no-cache`, and every (feature, layer) the edit
changed must be re-run. Each edit changes a fresh verdict (checked first), so each test can fail.
Edits of nothing that matters must re-run nothing.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, copy_project, git, isolated_env, lockgate

LAYERS = ("discovered", "imported", "instantiated", "documented", "tested", "wired")
FEATURES = ("AgentService", "InvoiceService", "LedgerService", "PluginService", "TaxService")
Pair = tuple[str, str]
# Every file starts a whole second an hour old: the stat cache trusts it (it is far older than
# its hashing), and a same-size rewrite can keep Python's whole-second bytecode stamp.
AGED_NS = (int(time.time()) - 3600) * 10**9
HALF_SECOND_NS = 500_000_000


@dataclass
class Scene:
    """The scenario copied into a git repository, with a `site` folder on PYTHONPATH beside it."""

    root: Path
    site: Path
    first: Run


def _align(root: Path, site: Path, *flags: str, env: dict[str, str] | None = None) -> Run:
    # The caller's PYTHONPATH stays first: it names the lockgate sources under test.
    path = os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(site)]))
    run = lockgate(
        "align", root, "--json", "--quiet", *flags, env={"PYTHONPATH": path, **(env or {})}
    )
    assert run.code == 0, run.stderr
    return run


def _age(top: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            os.utime(Path(dirpath, name), ns=(AGED_NS, AGED_NS))


def _fresh_site(site: Path) -> None:
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir()
    (site / "ledger_ext.py").write_text("FEE = 2\n")
    _age(site)


def start(tmp_path: Path) -> Scene:
    """A fresh repository of the scenario, every file aged, and a first run that fills the store."""
    root = copy_project("soundkeys", tmp_path)
    site = tmp_path / "site"
    _fresh_site(site)
    _age(root)
    return Scene(root, site, _align(root, site))


@pytest.fixture(scope="module")
def aligned(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    """One cold start for the module's edits that change a file's size or add or remove one
    inside the project or the site: each copies it (``start_from``). Edits that keep a file's
    size start cold (the bytecode the first run compiled under the project's path is part of
    what they test), and so does the one in the project's parent folder."""
    with isolated_env(tmp_path_factory):
        return start(tmp_path_factory.mktemp("aligned"))


def start_from(aligned: Scene, tmp_path: Path) -> Scene:
    """``start``, from a copy of the aligned scene and its store: the site stays at its path
    (the environment's key names where it is), made afresh; the first run re-hashes every file
    of the copy and serves the stored results."""
    _fresh_site(aligned.site)
    root = Path(shutil.copytree(aligned.root, tmp_path / aligned.root.name, symlinks=True))
    _age(root)
    return Scene(root, aligned.site, _align(root, aligned.site))


def verdicts(run: Run) -> dict[Pair, tuple[bool, str]]:
    """(feature, layer) → (passed, detail)."""
    return {
        (f["name"], layer): (v["passed"], v["detail"])
        for f in run.json["features"]
        for layer, v in f["layers"].items()
    }


def cached(run: Run) -> set[Pair]:
    """The (feature, layer) pairs served from the store."""
    return {
        (f["name"], layer)
        for f in run.json["features"]
        for layer, v in f["layers"].items()
        if v["cached"]
    }


def _strip(value: Any) -> Any:
    """A JSON value without the fields that may differ between equal verdicts."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in ("cached", "seconds")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _suite_cached(value: Any) -> list[Any]:
    """Every `cached` flag in the top-level `suite` entries."""
    if isinstance(value, dict):
        own = [value["cached"]] if "cached" in value else []
        return own + [c for v in value.values() for c in _suite_cached(v)]
    if isinstance(value, list):
        return [c for v in value for c in _suite_cached(v)]
    return []


def assert_same_verdicts(label: str, incremental: Run, fresh: Run) -> None:
    """Every feature's verdicts, and the `suite` entries when present, agree."""
    inc, new = verdicts(incremental), verdicts(fresh)
    wrong = {
        p: {"incremental": inc.get(p), "fresh": new.get(p)} for p in new if inc.get(p) != new[p]
    }
    assert not wrong and inc.keys() == new.keys(), f"{label}: incremental != --no-cache: {wrong}"
    if "suite" in incremental.json or "suite" in fresh.json:
        assert _strip(incremental.json.get("suite")) == _strip(fresh.json.get("suite")), (
            f"{label}: suite entries differ from --no-cache"
        )


def write(scene: Scene, rel: str, text: str) -> None:
    path = scene.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def replace(scene: Scene, rel: str, old: str, new: str) -> None:
    path = scene.root / rel
    text = path.read_text()
    assert old in text, f"{rel} has no {old!r}"
    path.write_text(text.replace(old, new, 1))


def same_size(rel: str, old: str, new: str, shift_ns: int) -> Callable[[Scene], None]:
    """Overwrite ``rel`` in place (same inode, same size), then set its mtime back, moved by
    ``shift_ns`` (0: exactly as before; half a second: a new mtime in the same whole second)."""
    assert len(old) == len(new)

    def apply(scene: Scene) -> None:
        path = scene.root / rel
        before = path.stat()
        replace(scene, rel, old, new)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + shift_ns))
        assert path.stat().st_size == before.st_size and path.stat().st_ino == before.st_ino

    return apply


def created(rel: str, text: str) -> Callable[[Scene], None]:
    return lambda scene: write(scene, rel, text)


def edited(rel: str, old: str, new: str) -> Callable[[Scene], None]:
    return lambda scene: replace(scene, rel, old, new)


def in_site(name: str, text: str) -> Callable[[Scene], None]:
    return lambda scene: (scene.site / name).write_text(text)


def in_parent(name: str, text: str) -> Callable[[Scene], None]:
    return lambda scene: (scene.root.parent / name).write_text(text)


def removed(rel: str) -> Callable[[Scene], None]:
    return lambda scene: (scene.root / rel).unlink()


@dataclass(frozen=True)
class Edit:
    """One edit, the pairs whose fresh verdict it changes, and the pairs it must re-run."""

    id: str
    apply: Callable[[Scene], None]
    changes: frozenset[Pair]
    must: frozenset[Pair] = frozenset()
    env: dict[str, str] = field(default_factory=dict)


def pairs(*items: str) -> frozenset[Pair]:
    """``"AgentService.tested"`` → ("AgentService", "tested")."""
    return frozenset((f, layer) for f, _, layer in (item.partition(".") for item in items))


EVERY_TESTED = frozenset((f, "tested") for f in FEATURES)
INI = '[pytest]\naddopts = -k "not rarely"\n'
TOML = '[pytest]\naddopts = ["-k", "not rarely"]\n'
AGENT_TESTED = pairs("AgentService.tested")

# 1. pytest's configuration is the file pytest chooses (the project has none to begin with).
CONFIG = [
    Edit("config-dot-pytest-ini", created(".pytest.ini", INI), AGENT_TESTED, EVERY_TESTED),
    Edit("config-pytest-toml", created("pytest.toml", TOML), AGENT_TESTED, EVERY_TESTED),
    Edit("config-dot-pytest-toml", created(".pytest.toml", TOML), AGENT_TESTED, EVERY_TESTED),
    Edit("config-tests-pytest-ini", created("tests/pytest.ini", INI), AGENT_TESTED, EVERY_TESTED),
    Edit("config-tox-ini", created("tox.ini", INI), AGENT_TESTED, EVERY_TESTED),
    Edit(
        "config-setup-cfg",
        created("setup.cfg", INI.replace("[pytest]", "[tool:pytest]")),
        AGENT_TESTED,
        EVERY_TESTED,
    ),
    Edit(
        "config-tests-pyproject",
        created(
            "tests/pyproject.toml", "[tool.pytest.ini_options]\naddopts = \"-k 'not rarely'\"\n"
        ),
        AGENT_TESTED,
        EVERY_TESTED,
    ),
    Edit("config-parent-pytest-ini", in_parent("pytest.ini", INI), AGENT_TESTED, EVERY_TESTED),
    Edit(
        "config-env-pytest-addopts",
        lambda scene: None,
        AGENT_TESTED,
        EVERY_TESTED,
        env={"PYTEST_ADDOPTS": '-k "not rarely"'},
    ),
]

# 2. Files pytest or the code loads that neither the import graph nor coverage of src sees.
LOADED = [
    Edit(
        "loaded-bare-helper-beside-test",
        edited("tests/agents/fuzz_expect.py", "EXPECTED = 12", "EXPECTED = 13"),
        AGENT_TESTED,
    ),
    Edit(
        "loaded-conftest-import",
        edited("tests/fuzz_support.py", "BASE = 10", "BASE = 11"),
        AGENT_TESTED,
        EVERY_TESTED,
    ),
    Edit(
        "loaded-pytest-plugins-module",
        edited("tests/fuzz_plugin.py", '"ada"', '"bob"'),
        AGENT_TESTED,
        EVERY_TESTED,
    ),
    Edit(
        "loaded-data-file-opened-by-test",
        edited("tests/data/ledger_cases.txt", "100 120", "100 121"),
        pairs("LedgerService.tested"),
    ),
    Edit(
        "loaded-data-file-read-at-import",
        edited("src/app/features/rates.json", '{"vat": 20}', '{"vat": '),
        pairs("LedgerService.imported", "LedgerService.instantiated", "LedgerService.tested"),
    ),
    Edit(
        "loaded-module-outside-project-on-pythonpath",
        in_site("ledger_ext.py", "FEE = 3\n"),
        pairs("LedgerService.tested"),
    ),
    Edit(
        "loaded-module-in-build-folder",
        edited("src/app/build/words.py", '"hello"', '"howdy"'),
        AGENT_TESTED,
    ),
]

# 3. Imports that failed, and modules shadowed by a new file earlier on sys.path.
MISSING = [
    Edit(
        "missing-importlib-plugin-created",
        created("src/app/plugins/beta.py", 'raise RuntimeError("beta is broken")\n'),
        pairs("PluginService.instantiated", "PluginService.tested"),
    ),
    Edit(
        "missing-find-spec-probe-created",
        created("src/app/speedups.py", '"""Speedups."""\n'),
        pairs("PluginService.tested"),
    ),
    Edit(
        "missing-importorskip-module-created",
        created("src/app/contrib.py", 'READY = "no"\n'),
        pairs("PluginService.tested"),
    ),
    Edit(
        "missing-try-import-outside-project-created",
        in_site("ledger_fast.py", '"""Fast ledger."""\n'),
        pairs("LedgerService.tested"),
    ),
    Edit(
        "shadow-root-module-by-src-module",
        created("src/helpers.py", 'WHERE = "src"\n'),
        pairs("PluginService.tested"),
    ),
    Edit(
        "shadow-root-module-by-src-module-imported-by-name",
        created("src/dynhelpers.py", 'WHERE = "src"\n'),
        pairs("PluginService.tested"),
    ),
    Edit(
        "shadow-module-by-package-imported-by-name",
        created("src/app/oldstyle/__init__.py", 'KIND = "package"\n'),
        pairs("PluginService.tested"),
    ),
]

# 4. The stat cache: same size, same inode, mtime restored.
STAT = [
    Edit(
        "stat-module-mtime-restored",
        same_size("src/app/features/invoice.py", "// 100", "// 101", 0),
        pairs("InvoiceService.tested"),
    ),
    Edit(
        "stat-test-mtime-restored",
        same_size("tests/test_ledger.py", "fee() == 2", "fee() == 3", 0),
        pairs("LedgerService.tested"),
    ),
    Edit(
        "stat-guide-mtime-restored",
        same_size("docs/guides/tax-service.md", "zero", "TODO", 0),
        pairs("TaxService.documented"),
    ),
    Edit(
        "stat-conftest-mtime-restored",
        same_size("tests/conftest.py", "BASE * 1", "BASE * 2", 0),
        AGENT_TESTED,
        EVERY_TESTED,
    ),
    Edit(
        "stat-map-file-mtime-restored",
        same_size("docs/services.txt", "PluginService", "PluginServicf", 0),
        pairs("PluginService.wired"),
    ),
]

# 5. Stale bytecode: Python's stamp is the whole-second mtime and the size.
BYTECODE = [
    Edit(
        "bytecode-module-same-second",
        same_size("src/app/features/agent.py", "base + 2", "base + 3", HALF_SECOND_NS),
        AGENT_TESTED,
    ),
    Edit(
        "bytecode-module-import-error-same-second",
        same_size("src/app/features/ledger.py", 'int("42")', 'int("4x")', HALF_SECOND_NS),
        pairs("LedgerService.imported", "LedgerService.instantiated", "LedgerService.tested"),
    ),
    Edit(
        "bytecode-test-same-second",
        same_size("tests/test_tax.py", '"us"]', '"uz"]', HALF_SECOND_NS),
        pairs("TaxService.tested"),
    ),
    Edit(
        "bytecode-module-mtime-restored",
        same_size("src/app/features/agent.py", "base + 2", "base + 3", 0),
        AGENT_TESTED,
    ),
]

# 6. Coverage counted from another feature's test file (TaxService's lines run while
# tests/test_invoice.py is collected).
CROSS = [
    Edit(
        "cross-other-feature-test-deleted",
        removed("tests/test_invoice.py"),
        pairs("InvoiceService.tested"),
    ),
    Edit(
        "cross-other-feature-parametrize-made-constant",
        edited(
            "tests/test_invoice.py",
            "InvoiceService.cases()",
            '[("eu", 20), ("uk", 20), ("us", 7), ("xx", 0)]',
        ),
        pairs("InvoiceService.tested"),
    ),
    Edit(
        "cross-own-test-edited-rerun-alone",
        lambda scene: write(
            scene,
            "tests/test_tax.py",
            (scene.root / "tests/test_tax.py").read_text()
            + "\n\ndef test_regions_again():\n    assert len(TaxService().regions()) == 3\n",
        ),
        pairs("TaxService.tested"),
    ),
]

SOUND = [*CONFIG, *LOADED, *MISSING, *STAT, *BYTECODE, *CROSS]


@pytest.mark.parametrize("edit", SOUND, ids=[e.id for e in SOUND])
def test_edit_gives_fresh_verdicts(
    tmp_path: Path, request: pytest.FixtureRequest, edit: Edit
) -> None:
    # Cold for same-size edits (the first run's stale bytecode is in play) and for a file in
    # the project's parent folder (a copied store is judged there by its first folder's parent).
    cold = edit in (*STAT, *BYTECODE) or "parent" in edit.id
    scene = start(tmp_path) if cold else start_from(request.getfixturevalue("aligned"), tmp_path)
    stored = verdicts(scene.first)
    edit.apply(scene)
    incremental = _align(scene.root, scene.site, env=edit.env)
    fresh = _align(scene.root, scene.site, "--no-cache", env=edit.env)
    new = verdicts(fresh)
    for pair in edit.changes:  # the test's own premise: the edit matters to a fresh run
        assert new[pair] != stored[pair], f"{edit.id}: {pair} is {new[pair]} before and after"
    assert_same_verdicts(edit.id, incremental, fresh)
    must = edit.must | edit.changes | {p for p in new if new[p] != stored[p]}
    stale = sorted(must & cached(incremental))
    assert not stale, f"{edit.id}: served from the store although its inputs changed: {stale}"


def _checkout_and_back(scene: Scene) -> None:
    git(scene.root, "checkout", "-q", "-b", "other")
    replace(scene, "src/app/features/agent.py", "base + 2", "base + 4")
    replace(scene, "tests/fuzz_support.py", "BASE = 10", "BASE = 12")
    git(scene.root, "commit", "-q", "-am", "other")
    git(scene.root, "checkout", "-q", "main")


def _touch_everything(scene: Scene) -> None:
    for dirpath, dirnames, filenames in os.walk(scene.root):
        dirnames[:] = [d for d in dirnames if d not in (".git", ".lockgate")]
        for name in filenames:
            Path(dirpath, name).touch()


NOTHING: list[tuple[str, Callable[[Scene], None]]] = [
    ("nothing-git-checkout-and-back", _checkout_and_back),
    ("nothing-touch-every-file", _touch_everything),
    ("nothing-new-non-python-file", created("notes/plan.txt", "Ship it.\n")),
    ("nothing-new-python-file-nothing-imports", created("scripts/tool.py", "print(1)\n")),
    ("nothing-project-version-bump", edited("pyproject.toml", '"1.0.0"', '"1.0.1"')),
]


@pytest.mark.parametrize("apply", [a for _, a in NOTHING], ids=[i for i, _ in NOTHING])
def test_edit_of_nothing_that_matters_reruns_nothing(
    tmp_path: Path, aligned: Scene, apply: Callable[[Scene], None]
) -> None:
    scene = start_from(aligned, tmp_path)
    apply(scene)
    incremental = _align(scene.root, scene.site)
    fresh = _align(scene.root, scene.site, "--no-cache")
    assert_same_verdicts("no-op edit", incremental, fresh)
    assert verdicts(incremental) == verdicts(scene.first)
    rerun = sorted({(f, layer) for f in FEATURES for layer in LAYERS} - cached(incremental))
    assert not rerun, f"needless re-run of {rerun}"
    assert all(_suite_cached(incremental.json.get("suite"))), "a suite entry re-ran"


def test_coverage_does_not_depend_on_other_features_tests(tmp_path: Path) -> None:
    """TaxService's verdict from a fresh run with InvoiceService's tests equals the one without
    them: that test file is not among TaxService's inputs."""
    scene = start(tmp_path)  # the first run, on an empty store, is a fresh one
    with_other = verdicts(scene.first)[("TaxService", "tested")]
    (scene.root / "tests/test_invoice.py").unlink()
    alone = verdicts(_align(scene.root, scene.site, "--no-cache"))[("TaxService", "tested")]
    assert with_other == alone, f"with tests/test_invoice.py: {with_other}; without: {alone}"


def test_a_test_reading_the_project_file_is_keyed_on_it(tmp_path: Path) -> None:
    """pytest reads pyproject.toml for its own table (keyed as a table); a test that reads the
    file itself depends on the whole of it."""
    root = copy_project("basic", tmp_path)
    (root / "tests" / "test_meta.py").write_text(
        "import tomllib\n\n\ndef test_name():\n"
        '    with open("pyproject.toml", "rb") as fh:\n'
        '        assert tomllib.load(fh)["project"]["name"] == "shop"\n'
    )
    first = lockgate("align", root, "--json", "--quiet")
    suite = {s["file"]: s for s in first.json["suite"]}
    assert suite["tests/test_meta.py"]["passed"], first.stdout
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(text.replace('name = "shop"', 'name = "shop2"', 1))

    incremental = lockgate("align", root, "--json", "--quiet").json["suite"]
    fresh = lockgate("align", root, "--json", "--quiet", "--no-cache").json["suite"]

    def verdict(entries: list[dict[str, object]]) -> object:
        return {s["file"]: (s["passed"], s["detail"]) for s in entries}

    assert not verdict(fresh)["tests/test_meta.py"][0]
    assert verdict(incremental) == verdict(fresh)
