"""Counts in words (words.py) and spellings of class names (project/names.py)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lockgate.project.names import kebab, snake
from lockgate.words import counted, plural


def test_plural_forms() -> None:
    assert [counted(n, "feature") for n in (0, 1, 2, 1000)] == [
        "0 features",
        "1 feature",
        "2 features",
        "1000 features",  # no separators: patterns match counts
    ]
    assert counted(2, "entry") == "2 entries"
    assert counted(1, "entry") == "1 entry"
    assert f"{counted(3, 'test')} {plural(3, 'passes')}" == "3 tests pass"
    assert f"{counted(1, 'test')} {plural(1, 'passes')}" == "1 test passes"
    assert plural(2, "is") == "are" and plural(1, "is") == "is"
    assert plural(2, "covers") == "cover"
    assert counted(2, "child", "children") == "2 children"
    assert counted(1, "child", "children") == "1 child"


@settings(max_examples=50, deadline=None)
@given(count=st.integers(0, 10**6))
def test_counts_match_the_tests_gate_pattern(count: int) -> None:
    text = f"{counted(count, 'test')} {plural(count, 'passes')}"
    assert re.fullmatch(r"\d+ tests? pass(es)?", text)
    assert text.startswith(f"{count} ")


@pytest.mark.parametrize(
    ("name", "snake_case", "kebab_case"),
    [
        ("HTTPClientAgent", "http_client_agent", "http-client-agent"),
        ("CartService", "cart_service", "cart-service"),
        ("getHTTP", "get_http", "get-http"),
        ("Version2Parser", "version2_parser", "version2-parser"),
        ("ABC", "abc", "abc"),
        ("X", "x", "x"),
        ("already_snake", "already_snake", "already-snake"),
    ],
)
def test_spellings(name: str, snake_case: str, kebab_case: str) -> None:
    assert snake(name) == snake_case
    assert kebab(name) == kebab_case
