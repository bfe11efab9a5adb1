"""Plain-text columns for the console: measured, padded and wrapped by hand.

Rich's tables measure every cell of every row several times; at 1,000 features that cost
2.5 s of a run whose work took 0.13 s. The feature and reason listings need none of what
that buys (nested renderables, ratios, borders): fixed columns, one wrapped last column and
a few colours. Widths are ``len()`` of the text, which is what they are for the identifiers,
layer names and ASCII marks lockgate prints; a wide character only misaligns its own row.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from typing import Literal, TextIO

Cell = tuple[str, str]  # (text, style); style is a key of _SGR or ""
Align = Literal["left", "right", "center"]

_SGR = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "bold red": "1;31",
}


def _wants_color(stream: TextIO) -> bool:
    # The conventions Rich and most CLIs follow: https://no-color.org and FORCE_COLOR.
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty() and os.environ.get("TERM") != "dumb"


@dataclass
class Screen:
    """Where console output goes: its width, whether it takes colours, and the stream."""

    width: int
    color: bool
    stream: TextIO

    @classmethod
    def stdout(cls) -> Screen:
        """Standard output: ``COLUMNS`` or the terminal's width, 80 when it is no terminal."""
        width = shutil.get_terminal_size((80, 24)).columns
        return cls(max(width, 40), _wants_color(sys.stdout), sys.stdout)

    def paint(self, text: str, style: str) -> str:
        """``text`` in ``style`` when colours are on."""
        if not style or not self.color or not text:
            return text
        return f"\x1b[{_SGR[style]}m{text}\x1b[0m"

    def write(self, lines: list[str]) -> None:
        """Print ``lines``, one write for all of them."""
        if lines:
            self.stream.write("\n".join(lines) + "\n")
            self.stream.flush()

    def wrap(self, text: str, label: str = "", style: str = "") -> list[str]:
        """``label`` (painted in ``style``) and ``text``, wrapped at words to the width."""
        first, *rest = fold(label + text, self.width)
        if label and first.startswith(label):
            first = self.paint(label, style) + first[len(label) :]
        return [first, *rest]


def fold(text: str, width: int) -> list[str]:
    """``text`` wrapped at spaces to ``width``; only a word longer than a line is split
    (never cut short with "…"), and hyphens are no break points (paths hold them).

    A greedy wrap by hand: ``textwrap`` costs ten times as much, and this runs once per
    reason line."""
    width = max(width, 1)
    out: list[str] = []
    for paragraph in text.splitlines() or [""]:
        if len(paragraph) <= width:
            out.append(paragraph.strip())
            continue
        line = ""
        for word in paragraph.split():
            while len(word) > width:  # a path longer than the line: split it after a "/"
                if line:
                    out.append(line)
                    line = ""
                cut = word.rfind("/", 0, width) + 1 or width
                out.append(word[:cut])
                word = word[cut:]
            if not line:
                line = word
            elif len(line) + 1 + len(word) <= width:
                line += " " + word
            else:
                out.append(line)
                line = word
        out.append(line)
    return out


@dataclass(frozen=True)
class Column:
    """One column: its header, alignment, the gap before it, and whether it wraps."""

    header: str = ""
    align: Align = "left"
    gap: int = 2  # spaces before this column (none before the first)
    wrap: bool = False  # only the last column: wrapped to the width that is left
    keep: int = 24  # a wrap column's least width: the first column gives way to it


def columns(
    screen: Screen, spec: list[Column], rows: list[list[Cell]], header: bool = True
) -> list[str]:
    """Lines of a table: every column as wide as its widest cell, the last one wrapped when
    it is a ``wrap`` column, and a first cell too wide for the screen on a line of its own."""
    fixed = spec[:-1] if spec[-1].wrap else spec
    widths = [
        max([len(c.header) if header else 0, *(len(row[i][0]) for row in rows)])
        for i, c in enumerate(fixed)
    ]
    rest = sum(c.gap + w for c, w in zip(fixed[1:], widths[1:], strict=True))
    if spec[-1].wrap:
        rest += spec[-1].gap + spec[-1].keep
    # The first column (a feature's name) gives way: a name longer than what is left of the
    # line goes on a line of its own, the row's other cells under it.
    widths[0] = max(len(fixed[0].header) if header else 1, min(widths[0], screen.width - rest))
    out: list[str] = []
    if header:
        out.append(_join(screen, fixed, widths, [(c.header, "bold") for c in fixed]).rstrip())
        if spec[-1].wrap and spec[-1].header:
            out[-1] += " " * spec[-1].gap + screen.paint(spec[-1].header, "bold")
    indent = sum(widths) + sum(c.gap for c in fixed[1:]) + spec[-1].gap
    for row in rows:
        first, style = row[0]
        if len(first) > widths[0]:
            out.append(screen.paint(first, style))
            row = [("", ""), *row[1:]]
        head = _join(screen, fixed, widths, row)
        if not spec[-1].wrap:
            out.append(head.rstrip())
            continue
        text, style = row[-1]
        pieces = fold(text, screen.width - indent)
        out.append((head + " " * spec[-1].gap + screen.paint(pieces[0], style)).rstrip())
        out += [" " * indent + screen.paint(p, style) for p in pieces[1:]]
    return out


def _join(screen: Screen, spec: list[Column], widths: list[int], cells: list[Cell]) -> str:
    """The cells padded to their columns' widths, each painted (padding is never painted)."""
    parts: list[str] = []
    color = screen.color
    for i, column in enumerate(spec):  # cells may hold one more: the wrapped column's
        text, style = cells[i]
        if i:
            parts.append(" " * column.gap)
        gap = widths[i] - len(text)
        if gap <= 0:
            left = right = 0
        elif column.align == "left":
            left, right = 0, gap
        elif column.align == "right":
            left, right = gap, 0
        else:
            left = gap // 2
            right = gap - left
        if color and style and text:
            text = screen.paint(text, style)
        parts.append(" " * left + text + " " * right if gap > 0 else text)
    return "".join(parts)
