"""Bad configuration: exit 2 and exactly one stderr line naming the file and the key.

Each case copies ``tests/projects/badconfig`` (valid as committed, see its README.md) into a
temporary git repository, applies one mutation and runs ``lockgate align --json``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, lockgate

FEATURES_TABLE = """[[tool.lockgate.features]]
kind = "feature"
paths = ["src/solo/features"]
classes = ["*Feature"]
"""
LOCKGATE_TOML_FEATURES = FEATURES_TABLE.replace("tool.lockgate.", "")


def replace(old: str, new: str) -> Callable[[Path], None]:
    """A mutation of pyproject.toml: ``old`` (which must be there) becomes ``new``."""

    def mutate(root: Path) -> None:
        pyproject = root / "pyproject.toml"
        text = pyproject.read_text()
        assert old in text, f"scenario changed: {old!r} not in pyproject.toml"
        pyproject.write_text(text.replace(old, new, 1))

    return mutate


def append(extra: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        with (root / "pyproject.toml").open("a") as fh:
            fh.write(extra)

    return mutate


OUTSIDE = "resolves outside the project root"


def both(*mutations: Callable[[Path], None]) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        for mutation in mutations:
            mutation(root)

    return mutate


def link_outside(name: str) -> Callable[[Path], None]:
    """A folder ``name`` in the project that is a symlink to a folder outside it."""

    def mutate(root: Path) -> None:
        outside = root.parent / "outside"
        outside.mkdir()
        (root / name).symlink_to(outside)

    return mutate


def drop_tool_lockgate(root: Path) -> None:
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    assert "[tool.lockgate]" in text
    kept = [
        block
        for block in re.split(r"(?m)^(?=\[)", text)
        if not re.match(r"\[+tool\.lockgate", block)
    ]
    pyproject.write_text("".join(kept))
    assert "lockgate" not in pyproject.read_text()


def write_lockgate_toml(body: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        (root / "lockgate.toml").write_text(body)

    return mutate


@dataclass
class Case:
    mutate: Callable[[Path], None]
    names: list[str]  # substrings the error line must hold: the file and the key
    expects: str | None = None  # regex: what is expected instead (where the case has one)
    not_names: list[str] = field(default_factory=list)


CASES = {
    "unknown-key": Case(
        replace("timeout = 10", 'timeout = 10\ncolour = "blue"'),
        ["pyproject.toml", "tool.lockgate.colour"],
    ),
    "unknown-nested-key": Case(
        replace("min_chars = 200", "min_chars = 200\nminchars = 10"),
        ["pyproject.toml", "tool.lockgate.docs.minchars"],
    ),
    "wrong-type-timeout": Case(
        replace("timeout = 10", 'timeout = "fast"'),
        ["pyproject.toml", "tool.lockgate.timeout"],
        r"(?i)number|integer|\bint\b|float",
    ),
    "keys-not-a-choice": Case(
        replace("timeout = 10", 'timeout = 10\nkeys = "lines"'),
        ["pyproject.toml", "tool.lockgate.keys"],
    ),
    "wrong-type-coverage": Case(
        replace("timeout = 10", 'timeout = 10\ncoverage = "high"'),
        ["pyproject.toml", "tool.lockgate.coverage"],
        r"(?i)number|integer|\bint\b|float",
    ),
    "wrong-type-classes": Case(
        replace('classes = ["*Feature"]', 'classes = "*Feature"'),
        ["pyproject.toml", "tool.lockgate.features[0].classes"],
        r"(?i)list|array",
    ),
    "impossible-threshold": Case(
        replace("timeout = 10", "timeout = 10\nthreshold = 101"),
        ["pyproject.toml", "tool.lockgate.threshold"],
        r"100",
    ),
    "impossible-timeout": Case(
        replace("timeout = 10", "timeout = 0"), ["pyproject.toml", "tool.lockgate.timeout"]
    ),
    "features-without-paths": Case(
        replace('paths = ["src/solo/features"]\n', ""),
        ["pyproject.toml", "tool.lockgate.features[0].paths"],
    ),
    "no-features-table": Case(
        replace(FEATURES_TABLE, ""), ["pyproject.toml", "tool.lockgate.features"]
    ),
    "missing-folder": Case(
        replace('"src/solo/features"', '"src/solo/missing"'),
        ["pyproject.toml", "tool.lockgate.features[0].paths[0]", "src/solo/missing"],
    ),
    "invalid-toml": Case(replace("timeout = 10", 'timeout = "10'), ["pyproject.toml"]),
    "unknown-guide-placeholder": Case(
        replace("min_chars = 200", 'min_chars = 200\nguides = ["docs/{title}.md"]'),
        ["pyproject.toml", "tool.lockgate.docs.guides", "title"],
    ),
    "bad-factory": Case(
        append('\n[tool.lockgate.instantiate]\n"solo.features.echo.EchoFeature" = "no_colon"\n'),
        ["pyproject.toml", "tool.lockgate.instantiate"],
    ),
    "guide-absolute": Case(
        replace("min_chars = 200", 'min_chars = 200\nguides = ["/etc/passwd"]'),
        ["pyproject.toml", "tool.lockgate.docs.guides[0]", "'/etc/passwd'", OUTSIDE],
    ),
    "guide-parent": Case(
        replace("min_chars = 200", 'min_chars = 200\nguides = ["docs/../../{kebab}.md"]'),
        ["pyproject.toml", "tool.lockgate.docs.guides[0]", OUTSIDE],
    ),
    "guide-kind-escapes": Case(
        both(
            replace('kind = "feature"', 'kind = "../../.."'),
            replace("min_chars = 200", 'min_chars = 200\nguides = ["docs/{kind}/{kebab}.md"]'),
        ),
        ["pyproject.toml", "tool.lockgate.docs.guides[0]", OUTSIDE],
    ),
    "src-parent": Case(
        replace("timeout = 10", 'timeout = 10\nsrc = ["src", "../"]'),
        ["pyproject.toml", "tool.lockgate.src[1]", "'../'", OUTSIDE],
    ),
    "src-symlink-out": Case(
        both(link_outside("lib"), replace("timeout = 10", 'timeout = 10\nsrc = ["lib"]')),
        ["pyproject.toml", "tool.lockgate.src[0]", "'lib'", OUTSIDE],
    ),
    "tests-absolute": Case(
        replace("timeout = 10", 'timeout = 10\ntests = ["/tmp"]'),
        ["pyproject.toml", "tool.lockgate.tests[0]", "'/tmp'", OUTSIDE],
    ),
    "tests-missing": Case(
        replace("timeout = 10", 'timeout = 10\ntests = ["checks"]'),
        ["pyproject.toml", "tool.lockgate.tests[0]", "'checks'", "does not exist"],
    ),
    "feature-path-parent": Case(
        replace('"src/solo/features"', '"src/../../solo/features"'),
        ["pyproject.toml", "tool.lockgate.features[0].paths[0]", OUTSIDE],
    ),
    "wiring-map-absolute": Case(
        append('\n[tool.lockgate.wiring]\nmaps = ["/etc/hosts"]\n'),
        ["pyproject.toml", "tool.lockgate.wiring.maps[0]", OUTSIDE],
    ),
    "inputs-parent": Case(
        replace("timeout = 10", 'timeout = 10\ninputs = ["data/*", "../*.txt"]'),
        ["pyproject.toml", "tool.lockgate.inputs[1]", "'../*.txt'", OUTSIDE],
    ),
    "version-file-parent": Case(
        append('\n[tool.lockgate.deploy]\nversion_files = ["VERSION", "../VERSION"]\n'),
        ["pyproject.toml", "tool.lockgate.deploy.version_files[1]", OUTSIDE],
    ),
    "no-tool-lockgate": Case(drop_tool_lockgate, ["pyproject.toml", "[tool.lockgate]"]),
    "lockgate-toml-wins": Case(
        write_lockgate_toml(f'timeout = "slow"\n\n{LOCKGATE_TOML_FEATURES}'),
        ["lockgate.toml", "timeout"],
        r"(?i)number|integer|\bint\b|float",
        not_names=["pyproject.toml", "tool.lockgate"],
    ),
}


def run_align(root: Path) -> Run:
    return lockgate("align", "--json", root, cwd=root)


def assert_one_error_line(run: Run, root: Path) -> str:
    assert run.code == 2, (run.code, run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    assert run.stdout.strip() == ""
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert not (root / ".lockgate").exists(), "a configuration error must not write a store"
    return lines[0]


def test_badconfig_as_committed_is_valid(project: Any) -> None:
    """Control: without a mutation the scenario aligns cleanly."""
    root = project("badconfig")
    run = run_align(root)
    assert run.code == 0, run.stderr
    assert [f["id"] for f in run.json["features"]] == ["solo.features.echo.EchoFeature"]


@pytest.mark.parametrize("case", list(CASES))
def test_configuration_error(project: Any, case: str) -> None:
    spec = CASES[case]
    root = project("badconfig")
    spec.mutate(root)
    line = assert_one_error_line(run_align(root), root)
    for name in spec.names:
        assert name in line, f"{name!r} not in {line!r}"
    for name in spec.not_names:
        assert name not in line, f"{name!r} in {line!r}"
    if spec.expects:
        assert re.search(spec.expects, line), f"what is expected is not said: {line!r}"


def test_invalid_toml_names_the_line(project: Any) -> None:
    root = project("badconfig")
    CASES["invalid-toml"].mutate(root)
    number = next(
        i
        for i, text in enumerate((root / "pyproject.toml").read_text().splitlines(), 1)
        if text.startswith("timeout =")
    )
    line = assert_one_error_line(run_align(root), root)
    assert re.search(rf"\bline {number}\b", line) or "timeout" in line, line


def test_no_configuration_file_at_all(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "app.py").write_text("class AppFeature:\n    pass\n")
    line = assert_one_error_line(run_align(root), root)
    assert "pyproject.toml" in line or "lockgate.toml" in line, line


def test_valid_lockgate_toml_wins_over_pyproject(project: Any) -> None:
    root = project("badconfig")
    (root / "lockgate.toml").write_text(f"threshold = 42\n\n{LOCKGATE_TOML_FEATURES}")
    run = run_align(root)
    assert run.code == 0, run.stderr
    assert run.json["threshold"] == 42  # pyproject.toml says nothing, so it would be 95
