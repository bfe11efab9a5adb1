"""pytest's ``python_files`` as pytest reads it (project/pytestconf.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lockgate.project.pytestconf import DEFAULT_PYTHON_FILES, matches, python_files

DEFAULT = list(DEFAULT_PYTHON_FILES)


def test_no_configuration_means_pytests_defaults(tmp_path: Path) -> None:
    assert python_files(tmp_path) == DEFAULT == ["test_*.py", "*_test.py"]


def test_each_file_and_its_section(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\npython_files = check_*.py\n")
    assert python_files(tmp_path) == ["check_*.py"]
    (tmp_path / "tox.ini").write_text("[pytest]\npython_files = tox_*.py\n")
    assert python_files(tmp_path) == ["tox_*.py"]
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\npython_files = ["a_*.py", "b_*.py"]\n'
    )
    assert python_files(tmp_path) == ["a_*.py", "b_*.py"]
    (tmp_path / "pytest.ini").write_text("[pytest]\npython_files = ini_*.py  more_*.py\n")
    assert python_files(tmp_path) == ["ini_*.py", "more_*.py"]


def test_a_file_without_pytests_section_is_passed_over(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\npython_files = check_*.py\n")
    (tmp_path / "tox.ini").write_text("[tox]\nenvlist = py311\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert python_files(tmp_path) == ["check_*.py"]


def test_a_pytest_ini_configures_pytest_even_without_a_section(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\npython_files = check_*.py\n")
    (tmp_path / "pytest.ini").write_text("")
    assert python_files(tmp_path) == DEFAULT


def test_pytest_9_table_and_a_string_value(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pytest]\npython_files = "x_*.py y_*.py"\n')
    assert python_files(tmp_path) == ["x_*.py", "y_*.py"]


def test_the_nearest_folder_up_to_the_root_wins(tmp_path: Path) -> None:
    inner = tmp_path / "pkg" / "sub"
    inner.mkdir(parents=True)
    (tmp_path / "tox.ini").write_text("[pytest]\npython_files = top_*.py\n")
    assert python_files(tmp_path, inner) == ["top_*.py"]
    (tmp_path / "pkg" / "setup.cfg").write_text("[tool:pytest]\npython_files = pkg_*.py\n")
    assert python_files(tmp_path, inner) == ["pkg_*.py"]
    assert python_files(tmp_path) == ["top_*.py"]
    # nothing above the root counts
    assert python_files(tmp_path / "pkg", inner) == ["pkg_*.py"]
    (tmp_path / "pkg" / "setup.cfg").unlink()
    assert python_files(tmp_path / "pkg", inner) == DEFAULT


def test_an_unreadable_file_is_no_configuration(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pytest\n")
    (tmp_path / "tox.ini").write_text("[pytest\n")
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\npython_files = check_*.py\n")
    assert python_files(tmp_path) == ["check_*.py"]


@pytest.mark.parametrize(
    ("path", "patterns", "expected"),
    [
        ("tests/test_cart.py", DEFAULT, True),
        ("tests/cart_test.py", DEFAULT, True),
        ("tests/cart.py", DEFAULT, False),
        ("test_dir/cart.py", DEFAULT, False),  # a name pattern matches the file name only
        ("tests/test_http/__init__.py", ["test_*/__init__.py"], True),
        ("test_http/__init__.py", ["test_*/__init__.py"], True),
        ("tests/http/__init__.py", ["test_*/__init__.py"], False),
        ("a/b/check.py", ["b/check.py"], True),
        ("a/bb/check.py", ["b/check.py"], False),
        ("check.py", ["check.py", "nothing"], True),
        ("check.py", [], False),
    ],
)
def test_matches_follows_pytests_rule(path: str, patterns: list[str], expected: bool) -> None:
    assert matches(path, patterns) is expected
