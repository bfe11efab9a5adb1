"""A file with an undeclared non-UTF-8 byte fails only the features whose tests use it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import git, lockgate

ACCENTS = "src/app/helpers/accents.py"
WORDS = "tests/gamma_words.py"


def with_latin1(root: Path, path: str, text: str) -> None:
    """Write text with é as the latin-1 byte 0xE9, and no encoding declaration."""
    (root / path).write_bytes(text.replace("é", "\xe9").encode("latin-1"))


def comment(root: Path) -> None:
    # Python runs this file (it does not decode comments); coverage.py cannot read it.
    with_latin1(root, ACCENTS, '# Accents: café.\n\n\ndef greeting() -> str:\n    return "cafe"\n')


def literal(root: Path) -> None:
    with_latin1(root, ACCENTS, '"""Accents."""\n\n\ndef greeting() -> str:\n    return "café"\n')


def in_a_test_helper(root: Path) -> None:
    with_latin1(root, WORDS, 'WORD = "café au lait"\n')
    (root / "tests/test_gamma.py").write_text(
        "from app.features.gamma import GammaService\n"
        "from tests.gamma_words import WORD\n\n\n"
        "def test_value():\n    assert GammaService().value() and WORD\n"
    )
    (root / "tests/__init__.py").touch()


@pytest.mark.parametrize(
    ("spoil", "where"),
    [(comment, f"{ACCENTS}:1"), (literal, f"{ACCENTS}:5"), (in_a_test_helper, f"{WORDS}:1")],
    ids=["comment-in-a-helper", "literal-in-a-helper", "literal-in-a-test-helper"],
)
def test_a_non_utf8_byte_fails_only_the_features_that_use_the_file(
    project: Any, spoil: Any, where: str
) -> None:
    root = project("encoding")
    spoil(root)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "a latin-1 byte")
    run = lockgate("align", "--json", cwd=root)
    assert run.code == 0, run.stderr
    for name in ("AlphaService", "BetaService"):
        tested = run.layer(name, "tested")
        assert tested["passed"], tested["detail"]
    gamma = run.layer("GammaService", "tested")
    assert not gamma["passed"]
    assert where in gamma["detail"]
    assert "tests/test_gamma.py" in gamma["detail"]
