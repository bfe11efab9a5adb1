"""Plugins loaded by name (``wiring.registries``): the ``plugins`` scenario, whose registry
imports each module listed in a text file, as Faker loads its providers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import git, lockgate


def _wired(run_json: dict[str, Any]) -> dict[str, tuple[bool, str]]:
    return {
        f["name"]: (f["layers"]["wired"]["passed"], f["layers"]["wired"]["detail"])
        for f in run_json["features"]
    }


def test_a_registry_wires_what_it_loads_and_nothing_else(project: Any) -> None:
    root: Path = project("plugins")
    first = lockgate("align", "--json", root)
    wired = _wired(first.json)
    assert wired["AlphaPlugin"] == (True, "loaded by name by app.registry:load_all")
    assert wired["BetaPlugin"][0]
    assert not wired["GammaPlugin"][0]
    assert wired["GammaPlugin"][1].endswith("not loaded by app.registry:load_all")

    # the list is a file the registry read: adding gamma to it wires gamma, never stale
    (root / "src/app/plugins.txt").write_text("alpha\nbeta\ngamma\n")
    git(root, "commit", "-q", "-am", "load gamma too")
    again = lockgate("align", "--json", root)
    assert _wired(again.json)["GammaPlugin"] == (True, "loaded by name by app.registry:load_all")

    # and taking alpha out unwires it
    (root / "src/app/plugins.txt").write_text("beta\ngamma\n")
    third = lockgate("align", "--json", root)
    assert not _wired(third.json)["AlphaPlugin"][0]


def test_a_failing_registry_says_so(project: Any) -> None:
    root: Path = project("plugins")
    (root / "src/app/plugins.txt").write_text("alpha\nnosuch\n")
    run = lockgate("align", "--json", root)
    passed, detail = _wired(run.json)["BetaPlugin"]
    assert not passed
    assert "(which failed: app.registry:load_all: " in detail
    assert "No module named 'app.plugins.nosuch'" in detail


def test_a_malformed_registry_is_one_line_and_exit_2(project: Any) -> None:
    root: Path = project("plugins")
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(text.replace("app.registry:load_all", "app registry"))
    run = lockgate("align", root)
    assert run.code == 2
    assert run.stderr.strip() == (
        "lockgate: error: pyproject.toml: tool.lockgate.wiring.registries: 'app registry' "
        "must be 'module' or 'module:callable' (a dotted module name, one callable name) "
        "(got ['app registry'])"
    )
