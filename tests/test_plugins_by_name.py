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


def test_a_registry_called_with_arguments_wires_what_they_name(project: Any) -> None:
    root: Path = project("plugins")
    call = 'app.registry:load(app.registry.EXTRA, package="app.plugins")'
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(text.replace('"app.registry:load_all"', repr(call)))
    git(root, "commit", "-q", "-am", "a registry with arguments")
    wired = _wired(lockgate("align", "--json", root).json)
    assert wired["GammaPlugin"] == (True, f"loaded by name by {call}")
    assert not wired["AlphaPlugin"][0]
    assert wired["AlphaPlugin"][1].endswith(f"not loaded by {call}")

    # the names are read from the module the argument names: editing them re-runs the call
    registry = root / "src/app/registry.py"
    registry.write_text(registry.read_text().replace('EXTRA = ["gamma"]', 'EXTRA = ["alpha"]'))
    again = _wired(lockgate("align", "--json", root).json)
    assert again["AlphaPlugin"] == (True, f"loaded by name by {call}")
    assert not again["GammaPlugin"][0]

    # an argument that names nothing fails the run and says why
    registry.write_text(registry.read_text().replace('EXTRA = ["alpha"]', "NAMES = []"))
    gone = _wired(lockgate("align", "--json", root).json)
    assert not gone["AlphaPlugin"][0]
    assert "the arguments (app.registry.EXTRA, package=" in gone["AlphaPlugin"][1]
    assert "AttributeError" in gone["AlphaPlugin"][1]


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
        "must be 'module', 'module:callable' or 'module:callable(arguments)' (a dotted module "
        "name, one callable name, arguments that are literals or dotted names) "
        "(got ['app registry'])"
    )

    # arguments are literals or dotted names: anything that would run code is refused
    (root / "pyproject.toml").write_text(
        text.replace('"app.registry:load_all"', "'app.registry:load(open(\"x\"))'")
    )
    run = lockgate("align", root)
    assert run.code == 2
    assert run.stderr.strip().startswith(
        "lockgate: error: pyproject.toml: tool.lockgate.wiring.registries: "
        "'app.registry:load(open(\"x\"))': (open(\"x\")): open('x') is neither a literal nor "
        "a dotted name"
    )
