"""Block checksums (project/blocks.py): what changes a key over the code a run executed."""

from __future__ import annotations

import ast
import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lockgate.project.blocks import Outline, outline_of

SOURCE = '''\
"""A module."""

import functools

LIMIT = 3


def area(width, height=2):
    """The area."""
    return width * height


class Shape:
    """A shape."""

    @property
    def sides(self):
        return LIMIT

    @functools.cache
    def table(self):
        return [LIMIT] * 10

    def named(self):
        """Only a docstring: nothing to run."""


if LIMIT:
    def pick():
        return 1
else:
    def pick():
        return 2
'''


def outline(source: str) -> Outline:
    """The outline of ``source``."""
    return outline_of(ast.parse(source))


def checksums(source: str) -> dict[str, str]:
    """Body name → checksum."""
    return {name: checksum for name, _, _, checksum in outline(source).blocks}


def test_blocks_are_function_bodies_named_by_class_and_redefinition() -> None:
    found = outline(SOURCE)
    assert [(n, a, b) for n, a, b, _ in found.blocks] == [
        ("area", 10, 10),  # the body starts after the docstring
        ("Shape.sides", 18, 18),
        ("Shape.table", 22, 22),
        ("pick", 30, 30),
        ("pick#2", 33, 33),
    ]
    # a function holding only a docstring has no body to run: it is module-level code
    assert "Shape.named" not in checksums(SOURCE)


def test_comments_and_formatting_change_no_checksum() -> None:
    reformatted = (
        SOURCE.replace("return width * height", "# why: area\n    return (width *\n  height)")
        .replace("LIMIT = 3", "LIMIT = (  3  )  # three")
        .replace("\n\n\n", "\n\n\n\n# a comment between definitions\n\n")
    )
    assert reformatted != SOURCE
    before, after = outline(SOURCE), outline(reformatted)
    assert after.module == before.module
    assert checksums(reformatted) == checksums(SOURCE)
    # lines moved, the key over what ran did not
    assert [b[1] for b in after.blocks] != [b[1] for b in before.blocks]
    assert after.fingerprint(["area", "Shape.table"]) == before.fingerprint(["area", "Shape.table"])


def test_a_body_edit_changes_only_that_body() -> None:
    edited = SOURCE.replace("return [LIMIT] * 10", "return [LIMIT] * 11")
    before, after = checksums(SOURCE), checksums(edited)
    assert outline(edited).module == outline(SOURCE).module
    assert {n for n in before if before[n] != after[n]} == {"Shape.table"}
    # a run that executed other bodies keeps its key; one that executed the edited body does not
    assert outline(edited).fingerprint(["area"]) == outline(SOURCE).fingerprint(["area"])
    assert outline(edited).fingerprint(["Shape.table"]) != outline(SOURCE).fingerprint(
        ["Shape.table"]
    )


def test_a_nested_function_is_part_of_its_outer_body() -> None:
    source = "def outer():\n    def inner():\n        return 1\n    return inner\n"
    edited = source.replace("return 1", "return 2")
    assert list(checksums(source)) == ["outer"]
    assert checksums(edited)["outer"] != checksums(source)["outer"]
    assert outline(edited).module == outline(source).module


def test_module_level_code_changes_the_module_checksum_only() -> None:
    for old, new in [
        ("LIMIT = 3", "LIMIT = 4"),
        ("height=2", "height=3"),  # a default runs at import
        ('"""The area."""', '"""The surface."""'),  # a docstring is read without a call
        ("@functools.cache", "@functools.lru_cache"),
        ('"""Only a docstring: nothing to run."""', '"""Only a docstring, changed."""'),
    ]:
        edited = SOURCE.replace(old, new)
        assert edited != SOURCE
        assert outline(edited).module != outline(SOURCE).module, (old, new)
        assert checksums(edited) == checksums(SOURCE), (old, new)


def test_a_body_turning_into_a_generator_changes_the_module_checksum() -> None:
    source = "def items():\n    return [1]\n"
    generator = "def items():\n    yield 1\n"
    assert outline(generator).module != outline(source).module
    # a yield inside a nested function is that function's own
    nested = "def items():\n    def inner():\n        yield 1\n    return [1]\n"
    plain = "def items():\n    def inner():\n        return 1\n    return [1]\n"
    assert outline(nested).module == outline(plain).module


def test_bodies_under_a_caching_decorator_are_memo() -> None:
    assert outline(SOURCE).memo == frozenset({"Shape.table"})


def test_executed_maps_lines_to_the_bodies_holding_them() -> None:
    found = outline(SOURCE)
    assert found.executed([10, 22]) == {"area", "Shape.table"}
    # the def line, the docstring and module-level lines belong to no body
    assert found.executed([1, 5, 8, 9, 17, 21]) == set()
    assert found.executed([33]) == {"pick#2"}
    assert found.executed([]) == set()


def test_a_removed_body_that_ran_changes_the_fingerprint() -> None:
    found = outline(SOURCE)
    assert found.fingerprint(["gone"]) != found.fingerprint([])
    assert found.fingerprint(["area", "area"]) == found.fingerprint(["area"])
    assert found.fingerprint(["area", "pick"]) == found.fingerprint(["pick", "area"])


def test_json_round_trip() -> None:
    found = outline(SOURCE)
    assert Outline.from_json(json.loads(json.dumps(found.to_json()))) == found


NAMES = st.lists(
    st.text(string.ascii_lowercase, min_size=1, max_size=6),
    min_size=1,
    max_size=5,
    unique=True,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=NAMES,
    values=st.lists(st.integers(0, 99), min_size=5, max_size=5),
    edit=st.integers(0, 4),
    blank=st.lists(st.integers(0, 2), min_size=5, max_size=5),
)
def test_edits_and_spacing_property(
    names: list[str], values: list[int], edit: int, blank: list[int]
) -> None:
    """For any module of small functions: blank lines and comments change no checksum, and
    editing one body changes that body's checksum alone."""
    names = [f"f_{n}" for n in names]
    edit %= len(names)

    def source(values: list[int], spaced: bool) -> str:
        parts = []
        for i, name in enumerate(names):
            gap = "\n" * blank[i] + "# note\n" * blank[i] if spaced else ""
            parts.append(f"def {name}(x):\n{gap}    return x + {values[i]}\n")
        return "\n".join(parts)

    plain = source(values, spaced=False)
    assert checksums(source(values, spaced=True)) == checksums(plain)
    assert outline(source(values, spaced=True)).module == outline(plain).module
    changed = [*values]
    changed[edit] += 1
    before, after = checksums(plain), checksums(source(changed, spaced=False))
    assert {n for n in before if before[n] != after[n]} == {names[edit]}
    assert outline(source(changed, spaced=False)).module == outline(plain).module
