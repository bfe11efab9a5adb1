"""Differential: after any sequence of edits, incremental verdicts equal a --no-cache run,
and the layers that re-run are the ones whose inputs changed."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import Run, copy_project, isolated_env, lockgate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

LAYERS = ("discovered", "imported", "instantiated", "documented", "tested", "wired")
BASE = ("CartService", "CatalogService", "PricingService")
Pairs = set[tuple[str, str]]


@dataclass
class Model:
    """The scenario as it stands, and what each edit must and may re-run."""

    root: Path
    site: Path
    n: int = 0
    catalog_imports_money: bool = False
    cart_guide: bool = True
    pricing_tests: bool = True
    misc_test: str = "tests/test_misc.py"
    reads_receipt: bool = False
    looks: set[str] = field(default_factory=set)  # tests added by the issue 19 edit kinds
    registry_lists: set[tuple[str, ...]] = field(default_factory=set)  # lists judged so far
    zone: str | None = None  # TZ of every run after the edit kind that sets it
    reverted: bool = False  # the last edit put back a state validated before
    new: list[str] = field(default_factory=list)

    @property
    def features(self) -> list[str]:
        return [*BASE, *self.new]

    def all_of(self, layers: tuple[str, ...]) -> Pairs:
        return {(f, layer) for f in self.features for layer in layers}

    def env(self) -> dict[str, str]:
        # The caller's PYTHONPATH stays first: it names the lockgate sources under test.
        path = os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(self.site)]))
        return {"PYTHONPATH": path, **({"TZ": self.zone} if self.zone else {})}

    def append(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.write_text(path.read_text() + text)


Edit = Callable[[Model], tuple[Pairs, Pairs]]  # → (must re-run, may re-run)


def helper_body(m: Model) -> tuple[Pairs, Pairs]:
    m.append("src/shop/money.py", f"\n\ndef _helper_{m.n}():\n    return {m.n}\n")
    users = ["CartService", "PricingService"]
    if m.catalog_imports_money:
        users.append("CatalogService")
    # A new function changes no import and names no feature: wiring stays as it was.
    must = {(f, layer) for f in users for layer in ("imported", "instantiated", "tested")}
    return must, must


def import_added(m: Model) -> tuple[Pairs, Pairs]:
    m.append("src/shop/features/catalog.py", f"\nfrom shop import money as _money_{m.n}  # added\n")
    m.catalog_imports_money = True
    # money.py was in the entry module's closure already (through cart and pricing), so only
    # the edited feature's own layers re-run.
    must = {("CatalogService", layer) for layer in LAYERS}
    return must, must


def import_removed(m: Model) -> tuple[Pairs, Pairs]:
    path = m.root / "src/shop/features/catalog.py"
    lines = path.read_text().splitlines(keepends=True)
    kept = [line for line in lines if "# added" not in line]
    if kept == lines:
        return set(), set()
    path.write_text("".join(kept))
    m.catalog_imports_money = False
    # The file may now equal a state stored earlier: reuse is then right, so nothing is a must.
    return set(), {("CatalogService", layer) for layer in LAYERS}


def edit_test_file(m: Model) -> tuple[Pairs, Pairs]:
    m.append("tests/test_cart.py", f"\n\ndef test_extra_{m.n}():\n    assert {m.n} == {m.n}\n")
    return {("CartService", "tested")}, {("CartService", "tested")}


def conftest_edited(m: Model) -> tuple[Pairs, Pairs]:
    # and from then on it starts a process that reads nothing of the project (issue 21: a
    # library's import running `lscpu`), which leaves block keys on
    (m.root / "tests/conftest.py").write_text(
        f"# conftest revision {m.n}\nimport subprocess\n\nsubprocess.run(['true'], check=True)\n"
    )
    return m.all_of(("tested",)), m.all_of(("tested",))


def guide_shortened(m: Model) -> tuple[Pairs, Pairs]:
    (m.root / "docs/guides/pricing-service.md").write_text(f"Pricing, in short ({m.n}).\n")
    return {("PricingService", "documented")}, {("PricingService", "documented")}


def guide_removed(m: Model) -> tuple[Pairs, Pairs]:
    if not m.cart_guide:
        return set(), set()
    (m.root / "docs/guides/cart-service.md").unlink()
    m.cart_guide = False
    return {("CartService", "documented")}, {("CartService", "documented")}


def guide_added(m: Model) -> tuple[Pairs, Pairs]:
    text = f"# CartService\n\nRevision {m.n}. " + "The cart keeps line items and totals. " * 10
    (m.root / "docs/guides/cart-service.md").write_text(text)
    m.cart_guide = True
    return {("CartService", "documented")}, {("CartService", "documented")}


def config_value(m: Model) -> tuple[Pairs, Pairs]:
    path = m.root / "pyproject.toml"
    lines = [
        f"coverage = {50 + m.n}" if line.startswith("coverage =") else line
        for line in path.read_text().splitlines()
    ]
    path.write_text("\n".join(lines) + "\n")
    return m.all_of(("tested",)), m.all_of(("tested",))


def renamed(m: Model) -> tuple[Pairs, Pairs]:
    target = f"tests/test_misc_{m.n}.py"
    (m.root / m.misc_test).rename(m.root / target)
    m.misc_test = target  # a test file of no feature: no feature layer depends on it
    return set(), set()


def deleted(m: Model) -> tuple[Pairs, Pairs]:
    if not m.pricing_tests:
        return set(), set()
    (m.root / "tests/test_pricing.py").unlink()
    m.pricing_tests = False
    return {("PricingService", "tested")}, {("PricingService", "tested")}


def new_feature(m: Model) -> tuple[Pairs, Pairs]:
    name = f"Refund{m.n}Service"
    (m.root / f"src/shop/features/refund_{m.n}.py").write_text(
        f'class {name}:\n    """Refunds, revision {m.n}."""\n\n    def amount(self) -> int:\n'
        f"        return {m.n}\n"
    )
    m.new.append(name)
    pairs = {(name, layer) for layer in LAYERS}
    return pairs, pairs


def data_file_edited(m: Model) -> tuple[Pairs, Pairs]:
    # A file no import names, read by a test at run time: only the observer sees it.
    (m.root / "tests/receipt.txt").write_text(f"receipt {m.n}\n" + "VOID\n" * (m.n % 2))
    if not m.reads_receipt:
        m.append(
            "tests/test_cart.py",
            "\n\ndef test_receipt_is_not_void():\n"
            "    from pathlib import Path\n\n"
            '    assert "VOID" not in (Path(__file__).parent / "receipt.txt").read_text()\n',
        )
        m.reads_receipt = True
    return {("CartService", "tested")}, {("CartService", "tested")}


FMT = 'return f"{value // 100}.{value % 100:02d}"'
FMT_OTHER = 'return "%d.%02d" % (value // 100, value % 100)'  # the same result, another body


def data_and_body_edited(m: Model) -> tuple[Pairs, Pairs]:
    # What only the runs observed shows: the data file a test reads, and the body of a helper
    # that the cart's and the pricing's tests execute (its module-level code stays the same).
    must, _ = data_file_edited(m)
    money = m.root / "src/shop/money.py"
    money.write_text(money.read_text().replace(FMT, FMT_OTHER))
    users = ["CartService", "PricingService"]
    if m.catalog_imports_money:
        users.append("CatalogService")
    must |= {(f, layer) for f in users for layer in ("imported", "instantiated")}
    must.add(("PricingService", "tested"))
    return must, must


def edit_then_revert(m: Model) -> tuple[Pairs, Pairs]:
    # An edit checked as any edit, then put back byte for byte: the state before it was
    # validated, so the revert re-runs nothing (`check` asserts no miss at all).
    if not m.reads_receipt:
        check(m, data_file_edited)  # the test that reads the data file: that edit changes a key
    kept = {rel: (m.root / rel).read_bytes() for rel in ("tests/receipt.txt", "src/shop/money.py")}
    check(m, data_and_body_edited)
    for rel, data in kept.items():
        (m.root / rel).write_bytes(data)
    m.reverted = True
    return set(), set()


def loads_by_name(m: Model) -> tuple[Pairs, Pairs]:
    # A feature that no test file imports, run by a test that loads it by its dotted name:
    # its test files are found by the run (issue 18), the same incrementally and afresh.
    must, may = new_feature(m) if not m.new else (set(), set())
    name = m.new[-1]
    module = f"shop.features.refund_{name.removeprefix('Refund').removesuffix('Service')}"
    (m.root / f"tests/test_loads_{m.n}.py").write_text(
        "import importlib\n\n\n"
        f"def test_by_name_{m.n}():\n"
        f'    cls = getattr(importlib.import_module("{module}"), "{name}")\n'
        f"    assert cls().amount() >= 0\n"
    )
    return must | {(name, "tested")}, may | {(name, "tested")}


def _look_test(m: Model, name: str, body: str) -> None:
    """Add a test of CartService's test file once (issue 19's edit kinds)."""
    if name not in m.looks:
        m.append(
            "tests/test_cart.py",
            f"\n\ndef test_{name}():\n    import os\n    from pathlib import Path\n\n"
            f"    here = Path(__file__).parent\n    {body}\n",
        )
        m.looks.add(name)


def flag_file_toggled(m: Model) -> tuple[Pairs, Pairs]:
    # A file a test only looks at (os.path.exists), never opens (issue 19, class 1).
    _look_test(m, "not_in_maintenance", 'assert not os.path.exists(here / "MAINTENANCE")')
    flag = m.root / "tests/MAINTENANCE"
    tested = {("CartService", "tested")}
    if flag.exists():
        flag.unlink()  # back to a state a stored result may have seen: reuse is then right
        return set(), tested
    flag.write_text("")
    return tested, tested


def _money_users(m: Model) -> list[str]:
    return [
        "CartService",
        "PricingService",
        *(["CatalogService"] if m.catalog_imports_money else []),
    ]


def fixture_db_edited(m: Model) -> tuple[Pairs, Pairs]:
    # A database a test opens with sqlite3 (C code: no `open` event; issue 19, class 2).
    import sqlite3

    _look_test(
        m,
        "fixture_rows",
        'import sqlite3\n    con = sqlite3.connect(here / "fixture.db")\n'
        '    assert con.execute("SELECT count(*) FROM t").fetchone()[0] < 100',
    )
    with sqlite3.connect(m.root / "tests/fixture.db") as con:
        con.execute("CREATE TABLE IF NOT EXISTS t (x)")
        con.execute("INSERT INTO t VALUES (?)", (m.n,))
    con.close()
    return {("CartService", "tested")}, {("CartService", "tested")}


def _edit_money_body(m: Model, name: str) -> None:
    """Add ``name(value)`` to money.py once, and give its body a new, equal result."""
    money = m.root / "src/shop/money.py"
    text = money.read_text()
    if f"def {name}(" not in text:
        text += f"\n\ndef {name}(value):\n    return value\n"
    money.write_text(
        re.sub(
            rf"def {name}\(value\):\n    return value.*\n",
            f"def {name}(value):\n    return value + {m.n} - {m.n}\n",
            text,
        )
    )


def raw_thread_body_edited(m: Model) -> tuple[Pairs, Pairs]:
    # A helper body run only in a thread started with _thread (coverage's tracer does not
    # follow it; issue 19, class 3): its test file's run is keyed on whole files.
    _edit_money_body(m, "echo")
    _look_test(
        m,
        "raw_thread",
        "import _thread\n    from shop.money import echo\n\n    out = []\n"
        "    done = _thread.allocate_lock()\n    done.acquire()\n\n"
        "    def run():\n        out.append(echo(1))\n        done.release()\n\n"
        "    _thread.start_new_thread(run, ())\n    done.acquire()\n    assert out == [1]",
    )
    users = _money_users(m)
    must = {(f, layer) for f in users for layer in ("imported", "instantiated")}
    must.add(("CartService", "tested"))
    return must, must | {(f, "tested") for f in users}


def spawned_reader_body_edited(m: Model) -> tuple[Pairs, Pairs]:
    # A helper body run only in a process the test starts (issue 21): the place's watch sees
    # that process open money.py, so the test process's files stay keyed whole.
    _edit_money_body(m, "shout")
    _look_test(
        m,
        "spawned_reader",
        "import subprocess, sys\n\n"
        '    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}\n'
        '    code = "from shop.money import shout; print(shout(1))"\n'
        "    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True)\n"
        '    assert out.stdout.strip() == b"1"',
    )
    users = _money_users(m)
    must = {(f, layer) for f in users for layer in ("imported", "instantiated")}
    must.add(("CartService", "tested"))
    return must, must | {(f, "tested") for f in users}


def read_through_link_edited(m: Model) -> tuple[Pairs, Pairs]:
    # `linked/../value.txt` is the file the kernel opens after following `linked`, not the
    # one beside it (issue 19, class 4).
    link = m.root / "tests/linked"
    if not link.is_symlink():
        (m.root / "data/deep").mkdir(parents=True, exist_ok=True)
        (m.root / "data/deep/keep").write_text("")
        link.symlink_to("../data/deep")
    (m.root / "data/value.txt").write_text(f"{m.n}\n")
    _look_test(
        m,
        "through_link",
        'assert open(f"{here}/linked/../value.txt").read().strip().isdigit()',
    )
    return {("CartService", "tested")}, {("CartService", "tested")}


def startup_file_edited(m: Model) -> tuple[Pairs, Pairs]:
    # A sitecustomize on the import path runs at every interpreter start, before anything is
    # observed (issue 19, class 6): every result a process produced depends on it.
    (m.root / "src/sitecustomize.py").write_text(f"import builtins\nbuiltins.LG_LEVEL = {m.n}\n")
    _look_test(m, "level", 'import builtins\n    assert getattr(builtins, "LG_LEVEL", 0) < 1000')
    # (a feature whose test files are gone, or that has none, runs no test process)
    must = m.all_of(("imported", "instantiated")) | {("CartService", "tested")}
    return must, m.all_of(("imported", "instantiated", "tested"))


def random_draws_edited(m: Model) -> tuple[Pairs, Pairs]:
    # A body whose lines run or not by draws from a generator nobody seeded (issue 18): its
    # coverage, and so CartService's tested detail, is the tree's only if the draws are.
    if "lucky" not in m.looks:
        branches = "".join(f"    if _RNG.random() < 0.5:\n        hits += {k}\n" for k in range(20))
        m.append(
            "src/shop/features/cart.py",
            "\n\nimport random as _random\n\n_RNG = _random.Random()\n\n\n"
            "def lucky() -> int:\n    hits = 0\n" + branches + "    return hits\n",
        )
    _look_test(m, "lucky", "from shop.features.cart import lucky\n    assert lucky() >= 0")
    cart = m.root / "src/shop/features/cart.py"
    cart.write_text(re.sub(r"return hits( \+ \d+)?\n", f"return hits + {m.n}\n", cart.read_text()))
    return {("CartService", "tested")}, {("CartService", layer) for layer in LAYERS}


REGISTRY = """import importlib

NAMES: list[str] = []


def load(names: list[str]) -> None:
    for name in names:
        importlib.import_module(f"shop.features.{name}")
"""


def registry_list_edited(m: Model) -> tuple[Pairs, Pairs]:
    # Plugins loaded by name from a list a registry is called with (issue 24): the first time
    # the registry is configured (the wiring configuration is in every wired key); after, the
    # newest feature goes in or out of the list, and every wired verdict the registry's run
    # judged must follow it.
    registry = m.root / "src/shop/registry.py"
    wired = m.all_of(("wired",))
    if not registry.exists():
        registry.write_text(REGISTRY)
        m.registry_lists.add(())
        m.append(
            "pyproject.toml",
            '\n[tool.lockgate.wiring]\nregistries = ["shop.registry:load(shop.registry.NAMES)"]\n',
        )
        return wired, wired
    if not m.new:
        new_feature(m)
    module = f"refund_{m.new[-1].removeprefix('Refund').removesuffix('Service')}"
    text = registry.read_text()
    listed = re.search(r"NAMES: list\[str\] = (\[.*\])", text)
    assert listed is not None
    names = [n for n in re.findall(r'"([^"]+)"', listed.group(1))]
    names = [n for n in names if n != module] if module in names else [*names, module]
    registry.write_text(
        text.replace(listed.group(1), "[" + ", ".join(f'"{n}"' for n in names) + "]")
    )
    may = wired | {(m.new[-1], layer) for layer in LAYERS}
    if tuple(names) in m.registry_lists:
        # back to a list an earlier run judged: its stored variants may serve, when nothing
        # else their registry run read has changed since (keys/extras.py)
        return set(), may
    m.registry_lists.add(tuple(names))
    return {(f, "wired") for f in m.new}, may


def time_zone_changed(m: Model) -> tuple[Pairs, Pairs]:
    # The machine's time zone is in every key (issue 19, class 5): a new one re-runs all.
    m.zone = f"LG{m.n % 24}"  # a POSIX zone, never one of an earlier edit of this model
    return m.all_of(LAYERS), m.all_of(LAYERS)


def dependency_version(m: Model) -> tuple[Pairs, Pairs]:
    (current,) = m.site.glob("fakedep-*.dist-info")
    current.rename(m.site / f"fakedep-1.{m.n}.dist-info")
    return m.all_of(LAYERS), m.all_of(LAYERS)


EDITS: list[Edit] = [
    helper_body,
    import_added,
    import_removed,
    edit_test_file,
    conftest_edited,
    guide_shortened,
    guide_removed,
    guide_added,
    config_value,
    renamed,
    deleted,
    new_feature,
    data_file_edited,
    edit_then_revert,
    loads_by_name,
    flag_file_toggled,
    fixture_db_edited,
    raw_thread_body_edited,
    spawned_reader_body_edited,
    read_through_link_edited,
    startup_file_edited,
    random_draws_edited,
    registry_list_edited,
    registry_list_edited,
    time_zone_changed,
    dependency_version,
]


def by_name(run: Run) -> dict[str, dict[str, dict[str, object]]]:
    assert run.code == 0, run.stderr
    return {f["name"]: f["layers"] for f in run.json["features"]}


def verdicts(runs: dict[str, dict[str, dict[str, object]]]) -> dict[tuple[str, str], object]:
    return {
        (f, layer): (v["passed"], v["detail"]) for f, ls in runs.items() for layer, v in ls.items()
    }


@dataclass(frozen=True)
class Aligned:
    """The basic scenario after one cold align, and the fake site folder its runs see."""

    root: Path
    site: Path


def _fresh_site(site: Path) -> None:
    shutil.rmtree(site, ignore_errors=True)
    (site / "fakedep-1.0.dist-info").mkdir(parents=True)
    (site / "fakedep-1.0.dist-info" / "METADATA").write_text("Name: fakedep\nVersion: 1.0\n")


@pytest.fixture(scope="module")
def aligned(tmp_path_factory: pytest.TempPathFactory) -> Aligned:
    """One cold align for the module; every model starts from a copy of its folder and store.
    The site stays at one path (the environment's key names where it is), made afresh for each
    model (an edit renames its distribution)."""
    with isolated_env(tmp_path_factory):
        root = copy_project("basic", tmp_path_factory.mktemp("aligned"))
        site = tmp_path_factory.mktemp("incremental") / "site"
        _fresh_site(site)
        assert by_name(lockgate("align", root, "--json", "--quiet", env=Model(root, site).env()))
    return Aligned(root, site)


def start(aligned: Aligned, tmp: Path) -> Model:
    """A fresh copy of the aligned scenario: its first run re-hashes the copy and serves the
    stored results, so every edit after it is checked against a full store, as after a cold run."""
    _fresh_site(aligned.site)
    root = Path(shutil.copytree(aligned.root, tmp / "basic", symlinks=True))
    model = Model(root, aligned.site)
    assert by_name(lockgate("align", root, "--json", "--quiet", env=model.env()))
    return model


def check(model: Model, edit: Edit) -> None:
    model.n += 1
    must, may = edit(model)
    if (model.root / "src/shop/registry.py").exists():
        # A registry's run (registry_list_edited) imports the project, and what it read is
        # every wired result's extras: an edit of a module it loaded may re-run them all.
        may = may | model.all_of(("wired",))
    run = lockgate("align", model.root, "--json", env=model.env())
    incremental = by_name(run)
    fresh = by_name(lockgate("align", model.root, "--json", "--no-cache", env=model.env()))
    assert verdicts(incremental) == verdicts(fresh), f"after {edit.__name__}"
    rerun = {
        (f, layer) for f, ls in incremental.items() for layer, v in ls.items() if not v["cached"]
    }
    assert must <= rerun, f"{edit.__name__}: stale reuse of {sorted(must - rerun)}"
    assert rerun <= may, f"{edit.__name__}: needless re-run of {sorted(rerun - may)}"
    if model.reverted:
        assert run.json["summary"]["cache"]["misses"] == 0, f"{edit.__name__}: a miss"
        model.reverted = False


def test_every_kind_of_edit_once(aligned: Aligned, tmp_path: Path) -> None:
    model = start(aligned, tmp_path)
    for edit in EDITS:
        check(model, edit)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(EDITS), min_size=1, max_size=3))
def test_random_edit_sequences(aligned: Aligned, edits: list[Edit]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        model = start(aligned, Path(tmp))
        for edit in edits:
            check(model, edit)
