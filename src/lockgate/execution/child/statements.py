"""What coverage counts as a file's statements, and which of them run at import.

Analysing a file parses it. A test child analyses every file its tests ran and every module
whose coverage a verdict needs; with a process per test file (:mod:`.per_file`) each fork would
parse them all again, so the analyses are kept here, made once in the child before it forks and
inherited by every fork. An entry holds while the file's size, modification time and inode are
those it was made from (a test may rewrite a file in its place).
"""

from __future__ import annotations

import ast
import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import coverage


@dataclass(frozen=True)
class Analysis:
    """Coverage's view of one file."""

    statements: list[int]
    toplevel: list[int]
    # False for a file that is not Python (a template its engine compiled under its own
    # name): no statements, no block view, keyed whole by the parent
    python: bool = True
    problem: str | None = None  # why coverage cannot read a Python file (path:line: ...)


class Analysed:
    """Analyses of the measured files of one coverage run, by path."""

    def __init__(self, cov: coverage.Coverage, root: Path) -> None:
        self.cov, self.root = cov, root
        self._known: dict[str, tuple[tuple[int, int, int], Analysis]] = {}

    def of(self, measured: str) -> Analysis | None:
        """The analysis of ``measured`` as it is now; None once it is gone."""
        try:
            info = os.stat(measured)
        except OSError:
            return None
        stamp = (info.st_size, info.st_mtime_ns, info.st_ino)
        known = self._known.get(measured)
        if known is not None and known[0] == stamp:
            return known[1]
        analysis = self._analyse(measured)
        if analysis is not None:
            self._known[measured] = (stamp, analysis)
        return analysis

    def _analyse(self, measured: str) -> Analysis | None:
        path = Path(measured)
        try:
            statements = self.cov.analysis2(measured)[1]
        except coverage.exceptions.NoSource:
            return None  # deleted by a test: nothing to report
        except (coverage.exceptions.CoverageException, SyntaxError, ValueError) as exc:
            if not _is_python(path):
                return Analysis([], [], python=False)
            return Analysis([], [], problem=_unreadable(path, self.root, exc))
        return Analysis(sorted(statements), sorted(_toplevel(path, statements)))


def _unreadable(path: Path, root: Path, exc: Exception) -> str:
    """Why coverage could not analyse ``path``, naming the file and line."""
    line = getattr(exc, "lineno", None)
    if line is None:  # coverage's encoding check names no line: find the first bad one
        with contextlib.suppress(OSError):
            for number, text in enumerate(path.read_bytes().splitlines(), 1):
                try:
                    text.decode("utf-8")
                except UnicodeDecodeError:
                    line = number
                    break
    where = path.relative_to(root).as_posix() + (f":{line}" if line else "")
    if isinstance(exc, SyntaxError) and "encoding" in str(exc.msg):
        return f"{where}: a byte that is not UTF-8 and no encoding declaration"
    return f"{where}: cannot be read as Python source: {type(exc).__name__}: {exc}"


def _is_python(path: Path) -> bool:
    """Whether ``path`` is Python source, by what it holds: Python compiles it. A template
    compiled by its engine (Jinja) runs lines under the template's own name, and is not."""
    try:
        compile(path.read_bytes(), str(path), "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError):  # ValueError: a NUL byte
        return False
    except OSError:
        return True  # unreadable now: analysis will say so, as of a Python file
    return True


def _toplevel(path: Path, statements: Iterable[int]) -> set[int]:
    """The statements that run when the module is imported: every one outside a function
    body (a ``def`` line, its decorators and defaults run at import; its body does not)."""
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return set()
    inside: set[int] = set()
    stack: list[ast.AST] = [tree]
    while stack:  # statements only: a lambda's body shares its statement's line
        node = stack.pop()
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, name, None) or ():
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    first = child.body[0].lineno
                    inside.update(range(first, (child.end_lineno or first) + 1))
                elif isinstance(child, ast.stmt | ast.excepthandler | ast.match_case):
                    stack.append(child)
    return {line for line in statements if line not in inside}
