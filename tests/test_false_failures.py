"""No false failures of the tested layer, and no machine paths in a detail (issue 18).

A test that renders templates makes coverage trace files that are not Python; a folder left
behind by an uninstalled pytest-cov made lockgate pass an option no plugin knew. Neither may
fail a test file that pytest runs green, and every detail names project files relative to the
root, so two clones give the same details.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, _repack, _requirements, copy_project, git, lockgate

import lockgate as lockgate_package

DASHBOARD = "portal.dashboard.DashboardView"
BADGE = "portal.badge.BadgeView"
LOCKGATE_SRC = str(Path(lockgate_package.__file__).resolve().parents[1])


def details(run: Run) -> dict[tuple[str, str], tuple[bool, str]]:
    """Every verdict of a run, by feature and layer, and by suite file."""
    data = run.json
    out = {
        (f["id"], name): (layer["passed"], layer["detail"])
        for f in data["features"]
        for name, layer in f["layers"].items()
    }
    out.update({(s["file"], "suite"): (s["passed"], s["detail"]) for s in data["suite"]})
    return out


def no_machine_paths(run: Run, *places: Path) -> None:
    """No detail names the checkout, the temporary folders or lockgate's run folder."""
    text = "\n".join(detail for _, detail in details(run).values())
    for place in places:
        assert str(place) not in text
        assert os.path.realpath(place) not in text
    assert "lockgate-run" not in text and "sandbox-" not in text


def pytest_config(root: Path, body: str) -> None:
    """Add a [tool.pytest.ini_options] table to the project and commit it."""
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + f"\n[tool.pytest.ini_options]\n{body}\n")
    git(root, "commit", "-qam", "pytest configuration")


def test_templates_that_tests_render_do_not_fail_the_layer(tmp_path: Path) -> None:
    root = copy_project("templating", tmp_path)
    run = lockgate("align", "--json", root)
    assert run.code == 0, run.stderr
    # the dashboard's template does not parse as Python; the badge's does ("[{{ label }}]")
    assert run.layer(DASHBOARD, "tested")["passed"] is True
    assert run.layer(DASHBOARD, "tested")["detail"] == "7 tests, 100.0% of src/portal/dashboard.py"
    assert run.layer(BADGE, "tested")["detail"] == "1 test, 100.0% of src/portal/badge.py"
    fresh = lockgate("align", "--json", "--no-cache", root)
    assert details(fresh) == details(run)
    no_machine_paths(run, root, tmp_path)


def test_a_template_is_an_input_of_the_tests_that_rendered_it(tmp_path: Path) -> None:
    root = copy_project("templating", tmp_path)
    assert lockgate("align", "--json", root).layer(DASHBOARD, "tested")["passed"] is True
    template = root / "templates" / "dashboard.html.j2"
    template.write_text(template.read_text().replace("nothing yet", "empty"))
    git(root, "commit", "-qam", "another word")
    run = lockgate("align", "--json", root)
    dashboard = run.layer(DASHBOARD, "tested")
    assert dashboard["cached"] is False
    assert dashboard["passed"] is False
    assert dashboard["detail"] == "1 of 7 tests failed: tests/test_dashboard.py::test_empty"
    assert run.layer(BADGE, "tested")["cached"] is True
    assert details(lockgate("align", "--json", "--no-cache", root)) == details(run)


def test_a_template_a_session_fixture_renders_is_an_input_of_every_test_file(
    tmp_path: Path,
) -> None:
    root = copy_project("templating", tmp_path)
    (root / "templates" / "motd.j2").write_text("{% if 1 %}Welcome{% endif %}\n")
    (root / "tests" / "conftest.py").write_text(
        "import jinja2\nimport pytest\n\n\n"
        '@pytest.fixture(scope="session")\n'
        "def motd():\n"
        '    loader = jinja2.FileSystemLoader("templates")\n'
        '    return jinja2.Environment(loader=loader).get_template("motd.j2").render()\n'
    )
    badge = root / "tests" / "test_badge.py"
    badge.write_text(badge.read_text() + "\n\ndef test_motd(motd):\n    assert motd\n")
    dashboard = root / "tests" / "test_dashboard.py"
    dashboard.write_text(dashboard.read_text() + "\n\ndef test_motd(motd):\n    assert motd\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "a message of the day")
    first = lockgate("align", "--json", root)
    assert first.layer(BADGE, "tested")["passed"] is True, first.layer(BADGE, "tested")
    assert first.layer(DASHBOARD, "tested")["passed"] is True
    (root / "templates" / "motd.j2").write_text("{% if 0 %}Welcome{% endif %}\n")
    git(root, "commit", "-qam", "no message")
    run = lockgate("align", "--json", root)
    for feature in (BADGE, DASHBOARD):
        tested = run.layer(feature, "tested")
        assert tested["cached"] is False and tested["passed"] is False, tested
        assert "::test_motd" in tested["detail"]


def test_an_error_naming_a_project_file_names_it_relative_to_the_root(tmp_path: Path) -> None:
    root = copy_project("templating", tmp_path)
    (root / "tests" / "test_settings.py").write_text(
        "from pathlib import Path\n\nfrom portal.badge import BadgeView\n\n"
        'SETTINGS = (Path(__file__).parent / "settings.json").read_text()\n\n\n'
        "def test_badge():\n    assert BadgeView()\n"
    )
    git(root, "add", "-A")
    git(root, "commit", "-qm", "settings")
    run = lockgate("align", "--json", root)
    detail = run.layer(BADGE, "tested")["detail"]
    assert "No such file or directory: 'tests/settings.json'" in detail, detail
    no_machine_paths(run, root, tmp_path)


@pytest.mark.parametrize(
    ("addopts", "error"),
    [
        (
            'addopts = "--definitely-not-an-option"',
            "error: unrecognized arguments: --definitely-not-an-option",
        ),
        ('addopts = "-p no_such_plugin_module"', "No module named 'no_such_plugin_module'"),
    ],
    ids=["unknown-option", "unknown-plugin"],
)
def test_pytest_usage_error_is_in_the_detail(tmp_path: Path, addopts: str, error: str) -> None:
    root = copy_project("templating", tmp_path)
    pytest_config(root, addopts)
    run = lockgate("align", "--json", root)
    detail = run.layer(BADGE, "tested")["detail"]
    assert detail.startswith(
        "tests/test_badge.py: pytest could not run the tests (exit code 4): "
    ), detail
    assert error in detail
    no_machine_paths(run, root, tmp_path)


def test_a_conftest_that_fails_to_import_is_in_the_detail(tmp_path: Path) -> None:
    root = copy_project("templating", tmp_path)
    (root / "tests" / "conftest.py").write_text("import not_installed_anywhere\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "a broken conftest")
    run = lockgate("align", "--json", root)
    detail = run.layer(BADGE, "tested")["detail"]
    assert "ImportError while loading conftest 'tests/conftest.py'" in detail, detail
    assert "No module named 'not_installed_anywhere'" in detail
    no_machine_paths(run, root, tmp_path)


@pytest.mark.parametrize(
    "addopts",
    ['addopts = "-p no:pytest_cov"', 'addopts = "-p no:xdist -p no:pytest_cov"'],
    ids=["no-pytest-cov", "no-xdist-no-pytest-cov"],
)
def test_plugins_the_project_disables_get_no_options(tmp_path: Path, addopts: str) -> None:
    root = copy_project("templating", tmp_path)
    pytest_config(root, addopts)
    run = lockgate("align", "--json", root)
    assert run.layer(BADGE, "tested")["detail"] == "1 test, 100.0% of src/portal/badge.py"
    assert run.layer(DASHBOARD, "tested")["passed"] is True


def test_a_projects_cov_option_still_leaves_coverage_to_lockgate(tmp_path: Path) -> None:
    root = copy_project("templating", tmp_path)
    pytest_config(root, 'addopts = "--cov=src --cov-report=term -n 1"')
    run = lockgate("align", "--json", root)
    assert run.layer(BADGE, "tested")["detail"] == "1 test, 100.0% of src/portal/badge.py"
    assert run.layer(DASHBOARD, "tested")["passed"] is True


@pytest.fixture(scope="module")
def plain_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment of lockgate's dependencies only: no pytest-cov, no xdist."""
    base = tmp_path_factory.mktemp("plain")
    wheels = base / "wheels"
    wheels.mkdir()
    names = sorted(_requirements("lockgate") - {"lockgate"})
    assert "pytest-cov" not in names
    for name in names:
        _repack(name, wheels)
    where = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", where], check=True)
    python = where / "bin" / "python"
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-index"),
            *("--no-deps", "--no-compile", "--disable-pip-version-check", "--find-links", wheels),
            *names,
        ],
        check=True,
    )
    return python


def test_a_folder_left_by_an_uninstalled_pytest_cov_fails_nothing(
    tmp_path: Path, plain_python: Path
) -> None:
    root = copy_project("templating", tmp_path)
    leftovers = tmp_path / "leftovers"
    (leftovers / "pytest_cov").mkdir(parents=True)  # what `pip uninstall` may leave behind
    (leftovers / "xdist").mkdir()
    env: dict[str, Any] = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([LOCKGATE_SRC, str(leftovers)]),
    }
    env.pop("PYTHONHASHSEED", None)
    proc = subprocess.run(
        [plain_python, "-m", "lockgate", "align", "--json", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    run = Run(proc.returncode, proc.stdout, proc.stderr)
    assert run.code == 0, run.stderr
    assert run.layer(BADGE, "tested")["detail"] == "1 test, 100.0% of src/portal/badge.py"
    assert run.layer(DASHBOARD, "tested")["detail"] == "7 tests, 100.0% of src/portal/dashboard.py"
    assert re.search(r"exit code \d", run.stdout) is None
