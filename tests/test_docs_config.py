"""Configuration real projects need (issue 14): classes excluded from a feature table, and the
documented layer as Sphinx projects write documentation (``docstring``, ``mention``)."""

from __future__ import annotations

from pathlib import Path

from conftest import copy_project, lockgate


def test_excluded_classes_are_no_features_and_docs_follow_the_settings(tmp_path: Path) -> None:
    root = copy_project("docs_config", tmp_path)
    run = lockgate("align", root, "--json")
    assert run.code == 0, run.stderr
    assert sorted(f["name"] for f in run.json["features"]) == ["LogExt", "StatsExt"]
    log = run.layer("LogExt", "documented")
    assert log == {**log, "passed": True, "detail": "docs/topics/extensions.rst"}
    stats = run.layer("StatsExt", "documented")
    assert stats["passed"] is False
    assert stats["detail"] == "guide docs/topics/extensions.rst does not mention StatsExt"


def test_docstring_and_mention_defaults_keep_todays_rules(tmp_path: Path) -> None:
    root = copy_project("docs_config", tmp_path)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text().replace("docstring = false\nmention = true\n", "")
    pyproject.write_text(text)
    run = lockgate("align", root, "--json")
    assert run.code == 0, run.stderr
    assert run.layer("LogExt", "documented")["detail"] == "no class docstring"
    assert run.layer("StatsExt", "documented")["passed"] is True


def test_a_docs_setting_must_be_a_boolean(tmp_path: Path) -> None:
    root = copy_project("docs_config", tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("mention = true", 'mention = "yes"'))
    run = lockgate("align", root, "--json")
    assert run.code == 2
    assert "mention" in run.stderr and "pyproject.toml" in run.stderr
