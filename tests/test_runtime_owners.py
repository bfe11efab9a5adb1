"""Test files found by what they import at run time (issue 11): a test that reaches its module
through a ``sys.path`` entry of its own belongs to the feature from its first run on (issue 18:
the run that finds it is the run that judges with it), for as long as it still imports it."""

from __future__ import annotations

from pathlib import Path

from conftest import copy_project, git, lockgate

TEST = "tests/test_through_path.py"


def test_a_test_importing_through_sys_path_belongs_to_the_feature(tmp_path: Path) -> None:
    root = copy_project("pathimports", tmp_path)

    first = lockgate("align", root, "--json")
    assert first.stdout, first.stderr
    tested = first.layer("WidgetPart", "tested")
    assert tested == {**tested, "passed": True, "cached": False}, tested
    assert tested["detail"] == "1 test, 100.0% of src/ext/widget.py"
    assert first.json["suite"] == []
    # the static graph cannot resolve `import widget`: the warning names the root to add
    hint = (
        f"{TEST} imports widget, which no src root holds; src/ext/widget.py would be it: "
        'add "src/ext" to [tool.lockgate] src'
    )
    assert hint in first.stderr + first.stdout
    fresh = lockgate("align", root, "--json", "--no-cache")
    assert fresh.layer("WidgetPart", "tested")["detail"] == tested["detail"]

    second = lockgate("align", root, "--json")
    assert second.json["summary"]["cache"]["misses"] == 0
    assert second.layer("WidgetPart", "tested")["detail"] == tested["detail"]
    table = lockgate("align", root)  # kept on the no-change path; warnings go to stderr
    assert table.stderr.count("warning: ") == 1 and "warning" not in table.stdout.lower().replace(
        "0 warning", ""
    )

    # edited to stop importing the module, the test no longer belongs to it
    test = root / TEST
    source = test.read_text().replace("import widget  # noqa: E402\n", "")
    test.write_text(source.replace("widget.WidgetPart().answer()", "42"))
    git(root, "commit", "-qam", "the test no longer uses the widget")
    edited = lockgate("align", root, "--json")
    assert edited.layer("WidgetPart", "tested")["detail"].startswith("no tests")
    assert [s["file"] for s in edited.json["suite"]] == [TEST]
