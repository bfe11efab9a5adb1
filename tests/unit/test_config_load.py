"""Loading ``[tool.lockgate]`` (project/config.py): defaults, and every mistake as one line
that names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from lockgate.errors import LockgateError
from lockgate.keys.snapshot import raw_table
from lockgate.project.config import Config, code_paths, key_name, load

FEATURES = '[[tool.lockgate.features]]\nkind = "service"\npaths = ["src/app"]\n'


def project(root: Path, table: str = "", features: str = FEATURES) -> Path:
    """A project at ``root`` with src/app, tests and a pyproject.toml holding ``table``."""
    (root / "src" / "app").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "app"\n\n[tool.lockgate]\n{table}\n{features}'
    )
    return root


def error(root: Path) -> str:
    """The message ``load`` raises, checked to be one line."""
    with pytest.raises(LockgateError) as raised:
        load(root)
    message = str(raised.value)
    assert "\n" not in message, message
    return message


def test_defaults(tmp_path: Path) -> None:
    loaded = load(project(tmp_path))
    config = loaded.config
    assert loaded.source == "pyproject.toml"
    assert loaded.pyproject["project"] == {"name": "app"}
    assert (config.src, config.tests, config.threshold, config.keys) == (
        ["src"],
        ["tests"],
        95,
        "blocks",
    )
    assert config.features[0].classes == ["*"]
    assert config.docs.guides == ["docs/guides/{kebab}.md"]
    assert config.weights.optimized is None
    assert config.gates.mocks == "warning" and config.gates.tests == "error"


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            "srcs = []",
            "pyproject.toml: unknown key tool.lockgate.srcs; remove it or check its spelling",
        ),
        (
            "[tool.lockgate.docs]\nminchars = 3",
            "pyproject.toml: unknown key tool.lockgate.docs.minchars; "
            "remove it or check its spelling",
        ),
        (
            'threshold = "high"',
            "pyproject.toml: tool.lockgate.threshold: Input should be a valid integer (got 'high')",
        ),
        (
            "threshold = 101",
            "pyproject.toml: tool.lockgate.threshold: "
            "Input should be less than or equal to 100 (got 101)",
        ),
        (
            'src = ["src", 3]',
            "pyproject.toml: tool.lockgate.src[1]: Input should be a valid string (got 3)",
        ),
        (
            '[tool.lockgate.instantiate]\n"app.Cart" = "make_cart"',
            "pyproject.toml: tool.lockgate.instantiate: factory for 'app.Cart' must be "
            "'module:function', got 'make_cart' (got {'app.Cart': 'make_cart'})",
        ),
        (
            '[tool.lockgate.docs]\nguides = ["docs/{nmae}.md"]',
            "pyproject.toml: tool.lockgate.docs.guides: 'docs/{nmae}.md' uses an unknown "
            "placeholder 'nmae'; use {name} {snake} {kebab} {kind} {module} "
            "(got ['docs/{nmae}.md'])",
        ),
        (
            'src = ["lib"]',
            "pyproject.toml: tool.lockgate.src[0]: folder 'lib' does not exist under {root}",
        ),
        (
            'inputs = ["../secrets.txt"]',
            "pyproject.toml: tool.lockgate.inputs[0]: "
            "'../secrets.txt' resolves outside the project root",
        ),
        (
            'tests = ["tests/test_*.py"]',
            "pyproject.toml: tool.lockgate.tests[0]: "
            "'tests/test_*.py' matches no file under {root}",
        ),
    ],
)
def test_a_mistake_is_one_line_naming_file_and_key(
    tmp_path: Path, table: str, expected: str
) -> None:
    assert error(project(tmp_path, table)) == expected.replace("{root}", str(tmp_path))


def test_all_weights_zero_is_a_mistake(tmp_path: Path) -> None:
    zero = "\n".join(
        f"{n} = 0"
        for n in ("discovered", "imported", "instantiated", "documented", "tested", "wired")
    )
    message = error(project(tmp_path, f"[tool.lockgate.weights]\n{zero}"))
    assert message.startswith(
        "pyproject.toml: tool.lockgate.weights: weights must not all be zero (got "
    )


def test_features_are_required(tmp_path: Path) -> None:
    assert error(project(tmp_path, "threshold = 90", features="")) == (
        "pyproject.toml: tool.lockgate.features is required"
    )
    (tmp_path / "pyproject.toml").write_text("[tool.lockgate]\nfeatures = []\n")
    assert error(tmp_path) == (
        "pyproject.toml: tool.lockgate.features: List should have at least 1 item after "
        "validation, not 0 (got [])"
    )


def test_a_feature_path_that_does_not_exist(tmp_path: Path) -> None:
    features = FEATURES.replace('"src/app"', '"src/app", "src/gone"')
    assert error(project(tmp_path, features=features)) == (
        "pyproject.toml: tool.lockgate.features[0].paths[1]: "
        f"'src/gone' does not exist under {tmp_path}"
    )


def test_lockgate_toml_wins_and_its_keys_have_no_prefix(tmp_path: Path) -> None:
    project(tmp_path, "threshold = 50")
    (tmp_path / "lockgate.toml").write_text(
        'threshold = 60\n[[features]]\nkind = "x"\npaths = ["src"]\n'
    )
    loaded = load(tmp_path)
    assert (loaded.source, loaded.config.threshold) == ("lockgate.toml", 60)
    assert loaded.pyproject["project"] == {"name": "app"}  # still read, for its other tables
    (tmp_path / "lockgate.toml").write_text(
        'tresholds = 60\n[[features]]\nkind = "x"\npaths = ["src"]\n'
    )
    assert (
        error(tmp_path) == "lockgate.toml: unknown key tresholds; remove it or check its spelling"
    )


def test_no_table_and_bad_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n')
    assert error(tmp_path).startswith(f"{tmp_path}: no [tool.lockgate] table in pyproject.toml")
    (tmp_path / "pyproject.toml").write_text("[tool.lockgate\n")
    assert error(tmp_path).startswith("pyproject.toml: invalid TOML: ")
    (tmp_path / "pyproject.toml").write_text('[tool]\nlockgate = "yes"\n')
    assert error(tmp_path) == "pyproject.toml: tool.lockgate must be a table"


def test_key_names_follow_the_file() -> None:
    assert (
        key_name("pyproject.toml", "features", 0, "paths", 1)
        == "tool.lockgate.features[0].paths[1]"
    )
    assert key_name("lockgate.toml", "features", 0, "paths", 1) == "features[0].paths[1]"
    assert key_name("lockgate.toml", "src", 0) == "src[0]"


def test_code_paths_name_their_keys() -> None:
    config = Config.model_validate(
        {"src": ["src"], "tests": ["t"], "features": [{"kind": "k", "paths": ["a", "b"]}]}
    )
    assert code_paths(config) == [
        (("src", 0), "src"),
        (("tests", 0), "t"),
        (("features", 0, "paths", 0), "a"),
        (("features", 0, "paths", 1), "b"),
    ]


def test_the_configuration_is_frozen_and_strict() -> None:
    config = Config.model_validate({"features": [{"kind": "k", "paths": ["a"]}]})
    with pytest.raises(ValueError):
        config.threshold = 3
    with pytest.raises(ValueError):
        Config.model_validate({"features": [{"kind": "k", "paths": ["a"]}], "threshold": "90"})


def test_a_tool_key_that_is_not_a_table_is_one_line(tmp_path: Path) -> None:
    """``tool = 1`` crashed the fast path and the loader with a TypeError."""
    (tmp_path / "pyproject.toml").write_text('tool = 1\n[project]\nname = "app"\n')
    assert raw_table(tmp_path) is None
    assert error(tmp_path) == "pyproject.toml: tool must be a table"
