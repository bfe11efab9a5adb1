"""End-to-end tests of feature discovery and of the names derived from a class name.

lockgate runs in a child process on copies of the scenarios ``basic``, ``discovery`` and
``naming`` (their README.md files are the answer key); the tests read its ``--json`` output.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, copy_project, isolated_env, lockgate


def class_line(path: Path, name: str) -> int:
    """The 1-based line of ``class <name>`` in ``path``, read independently of lockgate."""
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if re.match(rf"class {name}\b", text):
            return number
    raise AssertionError(f"no class {name} in {path}")


def features(run: Run) -> dict[str, dict[str, Any]]:
    assert run.code == 0, run.stderr
    return {f["name"]: f for f in run.json["features"]}


@pytest.fixture(scope="module")
def basic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    with isolated_env(tmp_path_factory):
        root = copy_project("basic", tmp_path_factory.mktemp("basic"))
        return root, lockgate("align", "--json", cwd=root)


@pytest.fixture(scope="module")
def discovery(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    with isolated_env(tmp_path_factory):
        root = copy_project("discovery", tmp_path_factory.mktemp("discovery"))
        return root, lockgate("align", "--json", cwd=root)


# --------------------------------------------------------------------------- basic

BASIC = {
    "CartService": "src/shop/features/cart.py",
    "CatalogService": "src/shop/features/catalog.py",
    "PricingService": "src/shop/features/pricing.py",
}


def test_basic_features_are_exactly_the_concrete_services(basic: tuple[Path, Run]) -> None:
    _, run = basic
    found = features(run)
    assert sorted(found) == sorted(BASIC)
    for name, path in BASIC.items():
        module = path.removeprefix("src/").removesuffix(".py").replace("/", ".")
        assert found[name]["id"] == f"{module}.{name}"
        assert found[name]["kind"] == "service"
        assert found[name]["internal"] is False


@pytest.mark.parametrize("name", list(BASIC))
def test_basic_path_and_line(basic: tuple[Path, Run], name: str) -> None:
    root, run = basic
    feature = features(run)[name]
    assert feature["path"] == BASIC[name]
    assert feature["line"] == class_line(root / BASIC[name], name)


@pytest.mark.parametrize(
    "name",
    ["BaseService", "NotifierService", "LineItem"],
    ids=["abstract-base-class", "protocol", "name-does-not-match"],
)
def test_basic_non_features_are_not_reported(basic: tuple[Path, Run], name: str) -> None:
    _, run = basic
    assert name not in features(run)
    assert name not in run.stdout


# --------------------------------------------------------------------------- discovery

# README of tests/projects/discovery: id -> (kind, path, internal).
DISCOVERED = {
    "kit.widgets.shapes.SquareWidget": ("widget", "src/kit/widgets/shapes.py", False),
    "kit.widgets.toolbox.ToolGadget": ("widget", "src/kit/widgets/toolbox.py", False),
    "kit.widgets.deep.nested.gear.GearWidget": (
        "widget",
        "src/kit/widgets/deep/nested/gear.py",
        True,
    ),
    "kit.tools.hammer.HammerTool": ("tool", "src/kit/tools/hammer.py", False),
}
NOT_DISCOVERED = {
    "AbstractWidget": "ABC with an abstract method",
    "PartialWidget": "inherits an abstract method it does not implement",
    "DrawableWidget": "Protocol",
    "SizedWidget": "typing.Protocol",
    "GenericWidget": "Protocol[T]",
    "WidgetHelper": "name does not match",
    "Nail": "name does not match",
    "SawTool": "file not in the tool table",
    "StrayWidget": "file outside every table",
}


@pytest.mark.parametrize("fid", list(DISCOVERED))
def test_discovered_feature(discovery: tuple[Path, Run], fid: str) -> None:
    root, run = discovery
    by_id = {f["id"]: f for f in features(run).values()}
    assert fid in by_id, sorted(by_id)
    feature = by_id[fid]
    kind, path, internal = DISCOVERED[fid]
    name = fid.rsplit(".", 1)[1]
    assert (feature["name"], feature["kind"], feature["path"], feature["internal"]) == (
        name,
        kind,
        path,
        internal,
    )
    assert feature["line"] == class_line(root / path, name)
    assert feature["layers"]["discovered"]["passed"] is True


@pytest.mark.parametrize("name", list(NOT_DISCOVERED), ids=list(NOT_DISCOVERED))
def test_not_a_feature(discovery: tuple[Path, Run], name: str) -> None:
    _, run = discovery
    found = features(run)
    assert name not in found, f"{name} ({NOT_DISCOVERED[name]}) was reported as a feature"


# --------------------------------------------------------------------------- naming

KEBAB_GUIDE = "docs/guides/http-client-agent.md"
SNAKE_GUIDE = "docs/guides/http_client_agent.md"


def set_guides(root: Path, *templates: str) -> None:
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    old = 'guides = ["docs/guides/{kebab}.md"]'
    assert old in text
    pyproject.write_text(text.replace(old, f"guides = {list(templates)!r}".replace("'", '"')))


def test_kebab_guide_and_snake_test_file(project: Any) -> None:
    """HTTPClientAgent: guide ``http-client-agent.md`` ({kebab}), tests found only by the file
    name ``test_http_client_agent.py`` ({snake}); every layer passes."""
    root = project("naming")
    run = lockgate("align", "--json", cwd=root)
    feature = features(run)["HTTPClientAgent"]
    failed = {n: x["detail"] for n, x in feature["layers"].items() if not x["passed"]}
    assert failed == {}
    assert KEBAB_GUIDE in feature["layers"]["documented"]["detail"]
    assert feature["score"] == 100


def test_snake_guide_template(project: Any) -> None:
    root = project("naming")
    set_guides(root, "docs/guides/{snake}.md")
    missing = lockgate("align", "--json", cwd=root).layer("HTTPClientAgent", "documented")
    assert missing["passed"] is False
    assert SNAKE_GUIDE in missing["detail"]  # the snake spelling, not the kebab file that exists

    (root / KEBAB_GUIDE).rename(root / SNAKE_GUIDE)
    found = lockgate("align", "--json", cwd=root).layer("HTTPClientAgent", "documented")
    assert found["passed"] is True, found["detail"]
    assert found["cached"] is False  # the guide file is an input of the documented layer


def test_kind_and_name_guide_template(project: Any) -> None:
    root = project("naming")
    set_guides(root, "docs/{kind}/{name}.md")
    target = root / "docs/agent/HTTPClientAgent.md"
    target.parent.mkdir()
    (root / KEBAB_GUIDE).rename(target)
    layer = lockgate("align", "--json", cwd=root).layer("HTTPClientAgent", "documented")
    assert layer["passed"] is True, layer["detail"]


def test_removing_the_snake_named_test_file_fails_tested(project: Any) -> None:
    """Control for the first naming test: in the tree, the test file is the feature's only by
    its name; renamed, its run still shows its own code importing the module by name."""
    root = project("naming")
    (root / "tests/test_http_client_agent.py").rename(root / "tests/test_requests.py")
    layer = lockgate("align", "--json", cwd=root).layer("HTTPClientAgent", "tested")
    assert layer["passed"] is True, layer["detail"]
    why = lockgate("why", "HTTPClientAgent", "--json", cwd=root)
    assert json.loads(why.stdout)["layers"]["tested"]["tests"] == [
        {"file": "tests/test_requests.py", "found": "its code imports the module at run time"}
    ]
    config = root / "pyproject.toml"
    config.write_text(
        config.read_text().replace("timeout = 20", 'timeout = 20\ntest_owners = "tree"')
    )
    layer = lockgate("align", "--json", cwd=root).layer("HTTPClientAgent", "tested")
    assert layer["passed"] is False
    assert re.search(r"(?i)\bno tests?\b", layer["detail"]), layer["detail"]
