"""Factories for a construction protocol (issue 14): entries keyed on fnmatch patterns, the most
specific wins, and a factory that takes one argument receives the class."""

from __future__ import annotations

from pathlib import Path

from conftest import copy_project, lockgate


def test_pattern_factories_receive_the_class(tmp_path: Path) -> None:
    root = copy_project("factories", tmp_path)
    run = lockgate("align", root, "--json")
    assert run.code == 0, run.stderr
    for name in ("StatsExt", "SpecialExt", "ExactExt"):
        layer = run.layer(name, "instantiated")
        assert layer["passed"] is True, (name, layer["detail"])


def test_the_factory_that_ran_is_the_key(tmp_path: Path) -> None:
    root = copy_project("factories", tmp_path)
    assert lockgate("align", root, "--json").code == 0
    pyproject = root / "pyproject.toml"
    # the special entry goes: SpecialExt falls back to the generic factory, which cannot build it
    pyproject.write_text(
        pyproject.read_text().replace('"app.ext.special.*" = ', '"app.other.*" = ')
    )
    run = lockgate("align", root, "--json")
    assert run.code == 0, run.stderr
    special = run.layer("SpecialExt", "instantiated")
    assert special["cached"] is False and special["passed"] is False
    assert special["detail"].startswith("factory tests.factories:build raised TypeError")
    stats = run.layer("StatsExt", "instantiated")
    assert stats["cached"] is True and stats["passed"] is True
