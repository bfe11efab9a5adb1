"""Adopting a 95 gate on an existing codebase: exemptions that expire and the new-code gate.

One real git repository of the ``basic`` shop with a legacy feature that has neither guide nor
test (it fails ``documented`` and ``tested``); each test adds what it judges on a branch.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import as_schema_9, copy_project, git, isolated_env, lockgate

from lockgate.store.schema import SCHEMA_VERSION

LEGACY = '''"""Legacy: what the shop did before it had tests."""

from shop.features.base import BaseService


class LegacyService(BaseService):
    """Rounds prices the old way."""

    def describe(self) -> str:
        return "legacy rounding"

    def rounded(self, cents: int) -> int:
        return cents // 10 * 10
'''

EXEMPT = """
[[tool.lockgate.exempt]]
feature = "LegacyService"
layer = "{layer}"
until = {until}
reason = "written before the tests; ticket SHOP-12"
"""


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The shop with LegacyService committed on main, and a warm store."""
    with isolated_env(tmp_path_factory):
        root = copy_project("basic", tmp_path_factory.mktemp("adoption"))
        (root / "src/shop/features/legacy.py").write_text(LEGACY)
        cli = root / "src/shop/cli.py"
        cli.write_text(
            cli.read_text()
            .replace(
                "from shop.features.cart",
                "from shop.features.legacy import LegacyService\nfrom shop.features.cart",
            )
            .replace("return 0", "print(LegacyService)\n    return 0")
        )
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "legacy")
        assert lockgate("align", root).code == 0
        yield root


@pytest.fixture
def work(legacy: Path, tmp_path: Path) -> Path:
    """A copy of the legacy repository (store included) that a test may change."""
    root = tmp_path / "shop"
    shutil.copytree(legacy, root, symlinks=True)
    return root


def _exempt(root: Path, layer: str, until: str) -> None:
    with (root / "pyproject.toml").open("a") as fh:
        fh.write(EXEMPT.format(layer=layer, until=until))


def _legacy_row(run_json: dict[str, object]) -> dict[str, object]:
    features = run_json["features"]
    assert isinstance(features, list)
    return next(f for f in features if f["name"] == "LegacyService")


def test_legacy_blocks_a_gate_on_all_code(work: Path) -> None:
    run = lockgate("deploy", "--dry-run", "--json", work)
    assert run.code == 1, run.stderr
    gates = {g["name"]: g for g in run.json["gates"]}
    assert not gates["integration"]["passed"]
    assert "LegacyService" in gates["integration"]["detail"]


def test_an_exemption_holds_until_its_date_and_lapses_after(work: Path) -> None:
    _exempt(work, "documented", "2027-03-31")
    _exempt(work, "tested", "2027-03-31")
    git(work, "commit", "-q", "-am", "exempt the legacy service")
    on_the_day = lockgate(
        "deploy", "--dry-run", "--json", work, env={"LOCKGATE_TODAY": "2027-03-31"}
    )
    assert on_the_day.code == 0, on_the_day.stdout + on_the_day.stderr
    row = _legacy_row(on_the_day.json)
    assert row["score"] == 100
    tested = row["layers"]["tested"]
    assert not tested["passed"]  # the verdict is the real one; the exemption is beside it
    assert tested["exemption"] == {
        "until": "2027-03-31",
        "reason": "written before the tests; ticket SHOP-12",
        "active": True,
    }
    table = lockgate("align", work, env={"LOCKGATE_TODAY": "2027-03-31"})
    assert table.code == 0
    assert "tested (exempt until 2027-03-31)" in table.stdout
    assert "ticket SHOP-12" in " ".join(table.stdout.split())  # the reason, maybe wrapped

    day_after = {"LOCKGATE_TODAY": "2027-04-01"}
    lapsed = lockgate("deploy", "--dry-run", "--json", work, env=day_after)
    assert lapsed.code == 1
    row = _legacy_row(lapsed.json)
    assert row["score"] < 95
    assert row["layers"]["tested"]["exemption"]["active"] is False
    gates = {g["name"]: g for g in lapsed.json["gates"]}
    assert not gates["integration"]["passed"]
    table = lockgate("align", work, env=day_after)
    assert "tested (exemption lapsed on 2027-03-31)" in table.stdout


def test_an_exemption_for_nothing_is_a_warning(work: Path) -> None:
    with (work / "pyproject.toml").open("a") as fh:
        fh.write(EXEMPT.format(layer="tested", until="2027-03-31").replace("Legacy", "Gone"))
    run = lockgate("align", "--json", work)
    assert "exemption for GoneService (tested) names no feature; remove it" in run.stderr


@pytest.mark.parametrize(
    ("until", "layer", "message"),
    [
        (
            '"2027-02-30"',
            "tested",
            "tool.lockgate.exempt[0].until: must be a date such as 2027-03-31",
        ),
        ("2027-03-31", "tsted", "tool.lockgate.exempt[0].layer: Input should be"),
    ],
)
def test_a_bad_exemption_is_one_line_and_exit_2(
    work: Path, until: str, layer: str, message: str
) -> None:
    _exempt(work, layer, until)
    run = lockgate("align", work)
    assert run.code == 2
    assert message in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_a_bad_clock_is_one_line_and_exit_2(work: Path) -> None:
    _exempt(work, "tested", "2027-03-31")
    run = lockgate("align", work, env={"LOCKGATE_TODAY": "tomorrow"})
    assert run.code == 2
    assert "LOCKGATE_TODAY='tomorrow' is not a date" in run.stderr


NEW = '''"""A feature written on a topic branch, without guide or tests."""

from shop.features.base import BaseService


class NewService(BaseService):
    """Does something new."""

    def describe(self) -> str:
        return "new"
'''


def _gates(run_json: dict[str, object]) -> dict[str, dict[str, object]]:
    gates = run_json["gates"]
    assert isinstance(gates, list)
    return {g["name"]: g for g in gates}


@pytest.fixture
def topic(work: Path) -> Path:
    """``gate = "new-code"`` committed on main, main aligned (its scores recorded), and a
    topic branch checked out."""
    text = (work / "pyproject.toml").read_text()
    (work / "pyproject.toml").write_text(
        text.replace("[tool.lockgate]\n", '[tool.lockgate]\ngate = "new-code"\n', 1)
    )
    git(work, "commit", "-q", "-am", "gate new code only")
    assert lockgate("align", "-q", work).code == 0
    git(work, "checkout", "-q", "-b", "topic")
    return work


def test_the_new_code_gate_passes_unchanged_legacy(topic: Path) -> None:
    (topic / "README.md").write_text("The shop, now with a topic branch.\n")
    git(topic, "commit", "-q", "-am", "docs only")
    run = lockgate("deploy", "--dry-run", "--json", topic)
    assert run.code == 0, run.stdout + run.stderr
    detail = _gates(run.json)["integration"]["detail"]
    assert "new code since merge-base with main" in detail
    assert "1 unchanged legacy feature under 95, not blocking" in detail


def test_the_new_code_gate_blocks_a_new_feature_under_the_threshold(topic: Path) -> None:
    (topic / "src/shop/features/fresh.py").write_text(NEW)
    git(topic, "add", "-A")
    git(topic, "commit", "-q", "-m", "a new service")
    run = lockgate("deploy", "--dry-run", "--json", topic)
    assert run.code == 1
    integration = _gates(run.json)["integration"]
    assert not integration["passed"]
    assert "shop.features.fresh.NewService" in integration["detail"]
    assert "(new, " in integration["detail"]
    assert "LegacyService" not in integration["detail"].split(";")[0]


def test_the_new_code_gate_blocks_a_dropped_score(topic: Path) -> None:
    git(topic, "rm", "-q", "docs/guides/catalog-service.md")
    git(topic, "commit", "-q", "-m", "drop a guide")
    run = lockgate("deploy", "--dry-run", "--json", topic)
    assert run.code == 1
    detail = _gates(run.json)["integration"]["detail"]
    assert "shop.features.catalog.CatalogService 83 (dropped from 100)" in detail


def test_since_a_commit_without_a_record_blocks_and_says_why(work: Path) -> None:
    (work / "README.md").write_text("changed\n")
    git(work, "commit", "-q", "-am", "unrecorded")
    unrecorded = git(work, "rev-parse", "HEAD").strip()
    (work / "README.md").write_text("changed again\n")
    git(work, "commit", "-q", "-am", "next")
    run = lockgate("deploy", "--dry-run", "--json", "--since", unrecorded, work)
    assert run.code == 1
    detail = _gates(run.json)["integration"]["detail"]
    assert f"no recorded run of {unrecorded} ({unrecorded[:12]})" in detail


def test_align_since_fails_under_on_new_code_only(topic: Path) -> None:
    (topic / "README.md").write_text("The shop, on a topic branch.\n")
    git(topic, "commit", "-q", "-am", "docs only")
    legacy_only = lockgate("align", "-q", "--since", "main", "--fail-under", "95", topic)
    assert legacy_only.code == 0, legacy_only.stderr  # LegacyService is old news
    assert lockgate("align", "-q", "--fail-under", "95", topic).code == 1
    (topic / "src/shop/features/fresh.py").write_text(NEW)
    git(topic, "add", "-A")
    git(topic, "commit", "-q", "-m", "a new service")
    fresh = lockgate("align", "-q", "--since", "main", "--fail-under", "95", topic)
    assert fresh.code == 1
    assert "shop.features.fresh.NewService" in fresh.stderr and "(new, " in fresh.stderr


def test_since_a_ref_that_names_nothing_is_one_line_and_exit_2(work: Path) -> None:
    for command in ("deploy", "align"):
        run = lockgate(command, "--since", "no-such-branch", work)
        assert run.code == 2
        assert run.stderr.strip() == (
            "lockgate: error: --since no-such-branch: no such commit in this repository"
        )


def test_codeowners_owners_group_and_filter(work: Path) -> None:
    (work / ".github").mkdir()
    (work / ".github/CODEOWNERS").write_text(
        "* @shop/core\n/src/shop/features/cart.py @shop/checkout\nsrc/ not-an-owner\n"
    )
    run = lockgate("align", "--json", work)
    owners = {f["name"]: f["owners"] for f in run.json["features"]}
    assert owners["CartService"] == ["@shop/checkout"]
    assert owners["LegacyService"] == ["@shop/core"]
    assert {f["name"]: f["owner"] for f in run.json["features"]}["CartService"] == "@shop/checkout"
    assert run.json["summary"]["owners"]["@shop/core"]["features"] == 3
    assert run.json["summary"]["owners"]["@shop/checkout"]["critical"] == 0
    assert ".github/CODEOWNERS:3: 'not-an-owner' is no owner" in run.stderr

    table = lockgate("align", "-v", work)
    assert "by owner:" in table.stdout
    lines = table.stdout.splitlines()
    assert "CartService" in lines[1] and lines[1].endswith("@shop/checkout")  # its group first

    mine = lockgate("align", "--json", "--owner", "@SHOP/checkout", work)
    assert [f["name"] for f in mine.json["features"]] == ["CartService"]
    refused = lockgate("deploy", "--dry-run", "--owner", "@shop/core", work)
    assert refused.code == 2 and "deploy gates the whole project" in refused.stderr
    nobody = lockgate("align", "--owner", "@shop/nobody", work)
    assert nobody.code == 2
    assert nobody.stderr.strip().splitlines()[-1] == (
        "lockgate: error: --owner @shop/nobody: owns no feature; CODEOWNERS names "
        "@shop/checkout, @shop/core"
    )


def test_the_report_shows_the_trend_and_owners_in_a_browser(work: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright
    from test_report_html import ARGS, CHROMIUM, open_report

    (work / ".github").mkdir()
    (work / ".github/CODEOWNERS").write_text(
        "* @shop/core\n/src/shop/features/fresh.py @shop/new\n"
    )
    (work / "src/shop/features/fresh.py").write_text(NEW)
    git(work, "rm", "-q", "docs/guides/catalog-service.md")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "a new service, a guide gone")
    page_file = tmp_path / "report.html"
    run = lockgate("report", "--html", page_file, "--json", work)
    assert run.code == 0, run.stderr  # gates failed, but report only reports
    history = run.json["history"]
    assert [c["mean_score"] for c in history["commits"]] == [91.5]  # the legacy commit's
    assert history["new"] == ["shop.features.fresh.NewService"]
    assert history["dropped"] == [{"feature": "shop.features.catalog.CatalogService", "points": 17}]
    assert history["features"]["shop.features.catalog.CatalogService"]["scores"] == [100, 83]
    table = lockgate("report", "--html", page_file, work)
    assert "1 new, 1 dropped (shop.features.catalog.CatalogService -17)" in table.stdout

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            problems = open_report(page, page_file)
            chart = page.locator("#trend svg").bounding_box()
            assert chart and chart["width"] > 0 and chart["height"] > 0
            assert page.locator("#new-features").inner_text() == "shop.features.fresh.NewService"
            assert (
                "CatalogService: -17 (100 → 83)" in page.locator("#dropped-features").inner_text()
            )
            owners = page.locator("#owners tbody tr").all_inner_texts()
            assert [o.split("\t")[0] for o in owners] == ["@shop/core", "@shop/new"]
            row = page.locator("#features tr", has_text="NewService")
            assert "@shop/new" in row.locator("td.owner").inner_text()
            assert row.locator("td.trend").inner_text() == "new"
            catalog = page.locator("#features tr", has_text="CatalogService")
            assert catalog.locator("td.trend").inner_text() == "100 → 83 ↓17"
            assert problems == []
        finally:
            browser.close()


def test_a_schema_8_store_gains_the_score_history_and_keeps_its_results(work: Path) -> None:
    store = work / ".lockgate/store.sqlite"
    with contextlib.closing(sqlite3.connect(store)) as conn:
        as_schema_9(conn)
        conn.execute("DROP TABLE scores")
        conn.execute("PRAGMA user_version = 8")
        conn.commit()
    run = lockgate("align", "--json", work)
    assert run.code == 0
    assert run.json["summary"]["cache"]["misses"] == 0  # every result kept
    with contextlib.closing(sqlite3.connect(store)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        head = git(work, "rev-parse", "HEAD").strip()
        assert conn.execute("SELECT commit_id FROM scores").fetchall() == [(head,)]
