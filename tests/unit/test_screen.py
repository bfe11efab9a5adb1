"""Plain-text columns for the console (report/screen.py)."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lockgate.report.screen import Column, Screen, columns, fold


def screen(width: int, color: bool = False) -> Screen:
    """A screen of ``width`` columns writing to memory."""
    return Screen(width, color, io.StringIO())


def test_fold_wraps_at_spaces_and_splits_only_words_longer_than_a_line() -> None:
    assert fold("aaa bbb ccc", 7) == ["aaa bbb", "ccc"]
    assert fold("short", 80) == ["short"]
    # a path longer than the line breaks after a "/", never with an ellipsis
    assert fold("src/lockgate/pipeline/runner.py", 10) == [
        "src/",
        "lockgate/",
        "pipeline/",
        "runner.py",
    ]
    assert fold("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    # hyphens are no break points: only a word too long for the line is cut
    assert fold("cart-service guide", 12) == ["cart-service", "guide"]
    assert fold("one\ntwo three", 5) == ["one", "two", "three"]
    assert fold("", 5) == [""]
    assert fold("a b", 0) == ["a", "b"]  # a width below 1 counts as 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(st.sampled_from("ab/- \n"), max_size=60),
    width=st.integers(1, 20),
)
def test_fold_keeps_every_character_and_the_width(text: str, width: int) -> None:
    lines = fold(text, width)
    assert all(len(line) <= width for line in lines), lines
    assert "".join("".join(line.split()) for line in lines) == "".join(text.split())


def test_paint_only_with_colours() -> None:
    assert screen(80).paint("x", "red") == "x"
    assert screen(80, color=True).paint("x", "bold red") == "\x1b[1;31mx\x1b[0m"
    assert screen(80, color=True).paint("x", "") == "x"
    assert screen(80, color=True).paint("", "red") == ""


def test_write_is_one_write_of_every_line() -> None:
    out = screen(80)
    out.write(["a", "b"])
    out.write([])
    assert isinstance(out.stream, io.StringIO)
    assert out.stream.getvalue() == "a\nb\n"


def test_wrap_paints_the_label_only() -> None:
    assert screen(12).wrap("one two three", "why: ") == ["why: one two", "three"]
    painted = screen(12, color=True).wrap("one two three", "why: ", "dim")
    assert painted == ["\x1b[2mwhy: \x1b[0mone two", "three"]


def test_columns_pad_align_and_wrap_the_last() -> None:
    spec = [Column("feature"), Column("score", "right"), Column("why", wrap=True, keep=10)]
    rows = [
        [("CartService", ""), ("83", ""), ("no guide: docs/guides/cart-service.md and more", "")],
        [("AVeryLongFeatureNameThatDoesNotFit", "red"), ("100", ""), ("ok", "")],
    ]
    # 30 columns: the score and a 10-wide reason column leave the name 11
    assert columns(screen(30), spec, rows) == [
        "feature      score  why",
        "CartService     83  no guide:",
        "                    docs/",
        "                    guides/",
        "                    cart-servi",
        "                    ce.md and",
        "                    more",
        "AVeryLongFeatureNameThatDoesNotFit",  # too wide: on a line of its own
        "               100  ok",
    ]


def test_columns_without_wrap_or_header() -> None:
    spec = [Column("a"), Column("b", "center")]
    rows = [[("x", ""), ("y", "")], [("xxx", ""), ("yyy", "")]]
    assert columns(screen(80), spec, rows) == ["a     b", "x     y", "xxx  yyy"]
    assert columns(screen(80), spec, rows, header=False) == ["x     y", "xxx  yyy"]


def test_padding_is_never_painted() -> None:
    spec = [Column("n"), Column("v", "right")]
    [line] = columns(screen(80, color=True), spec, [[("ab", "green"), ("1", "")]], header=False)
    assert line == "\x1b[32mab\x1b[0m  1"
