"""A Python file as blocks: its module-level code, and the body of each function it defines.

A run that imported a file ran all of its module-level code (imports, class bodies, ``def``
lines with their decorators, defaults and annotations, docstrings) but only the function bodies
it called. :class:`Outline` holds one checksum for the module-level code and one per function
body, so a key can hold what a run executed and nothing else. Checksums are taken over
``ast.dump`` without positions: comments and formatting do not change them, any change of
meaning does. Line numbers are therefore not keyed: a test that asserts a helper's line number
(in a traceback text, say) is not re-run when lines move.
"""

from __future__ import annotations

import ast
import bisect
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Decorators known not to keep what a call computed across calls. A body under any other
# decorator (functools.cache, lru_cache, a fixture) may have run for another test file and left
# a result this one reads, so it counts as executed for every test file that loaded its file.
_PLAIN_DECORATORS = frozenset(
    {
        "property",
        "setter",
        "getter",
        "deleter",
        "staticmethod",
        "classmethod",
        "abstractmethod",
        "overload",
        "override",
        "contextmanager",
        "asynccontextmanager",
        "wraps",
    }
)


def _checksum(node: ast.AST) -> str:
    text = ast.dump(node, annotate_fields=True, include_attributes=False)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        return _decorator_name(node.func)
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _first_line(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", None) or []
    return min([node.lineno, *(d.lineno for d in decorators)])


def _kind(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """What a call does before running the body, decided by the body: a function with
    ``yield`` returns a generator without running a line of it, one that uses ``super()`` or
    ``__class__`` gives its class a ``__class__`` cell. Kept in the module-level checksum, so
    that a body turning into (or out of) a generator changes it although nobody ran it."""
    generator = False
    cell = False
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Yield | ast.YieldFrom):
            generator = True
        elif isinstance(node, ast.Name) and node.id in ("super", "__class__"):
            cell = True
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            # their own yields are theirs; a nested name may still need the cell
            stack.extend(n for n in ast.walk(node) if isinstance(n, ast.Name))
            continue
        stack.extend(ast.iter_child_nodes(node))
    return f"{type(function).__name__}:{'gen' if generator else 'fn'}:{'cell' if cell else ''}"


@dataclass(frozen=True)
class Outline:
    """The blocks of one file: ``module`` checksums everything outside function bodies;
    ``blocks`` are (name, first line, last line, checksum) of each body, by first line."""

    module: str
    blocks: tuple[tuple[str, int, int, str], ...]
    memo: frozenset[str] = frozenset()  # bodies under a decorator that may keep results

    def executed(self, lines: Iterable[int]) -> set[str]:
        """The blocks that ran at least one of ``lines``."""
        starts = [b[1] for b in self.blocks]
        found: set[str] = set()
        for line in lines:
            at = bisect.bisect_right(starts, line) - 1
            if at >= 0 and line <= self.blocks[at][2]:
                found.add(self.blocks[at][0])
        return found

    def fingerprint(self, names: Iterable[str]) -> str:
        """One checksum over the module-level code and the bodies ``names`` (a name that is
        gone counts as ``null``, so removing a function that ran changes it)."""
        bodies = {b[0]: b[3] for b in self.blocks}
        parts = [self.module, [[n, bodies.get(n)] for n in sorted(set(names))]]
        return hashlib.blake2b(json.dumps(parts).encode(), digest_size=16).hexdigest()

    def to_json(self) -> list[Any]:
        """A JSON-ready form for the facts."""
        return [self.module, [list(b) for b in self.blocks], sorted(self.memo)]

    @classmethod
    def from_json(cls, data: list[Any]) -> Outline:
        """Rebuild from :meth:`to_json` output."""
        module, blocks, memo = data
        return cls(module, tuple((n, a, b, c) for n, a, b, c in blocks), frozenset(memo))


def outline_of(tree: ast.Module) -> Outline:
    """Split ``tree`` into blocks. The tree is changed: each function body is replaced by a
    marker (its docstring stays: ``__doc__`` is read without calling the function)."""
    blocks: list[tuple[str, int, int, str]] = []
    memo: set[str] = set()
    names: dict[str, int] = {}

    def visit(statements: list[ast.stmt], prefix: str) -> None:
        for node in statements:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                define(node, prefix)
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            else:
                for field in ("body", "orelse", "finalbody"):
                    inner = getattr(node, field, None)
                    if isinstance(inner, list):
                        visit(inner, prefix)
                for handler in getattr(node, "handlers", None) or ():
                    visit(handler.body, prefix)
                for case in getattr(node, "cases", None) or ():
                    visit(case.body, prefix)

    def define(node: ast.FunctionDef | ast.AsyncFunctionDef, prefix: str) -> None:
        body = node.body
        doc = (
            body[:1]
            if isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
            else []
        )
        rest = body[len(doc) :]
        if not rest:
            return  # a docstring alone: nothing to run, all of it is module-level
        name = f"{prefix}{node.name}"
        seen = names[name] = names.get(name, 0) + 1
        if seen > 1:  # redefined (in if/else branches, say): each definition is a block
            name = f"{name}#{seen}"
        last = node.end_lineno or rest[-1].lineno
        checksum = _checksum(ast.Module(body=rest, type_ignores=[]))
        blocks.append((name, _first_line(rest[0]), last, checksum))
        if any(_decorator_name(d) not in _PLAIN_DECORATORS for d in node.decorator_list):
            memo.add(name)
        marker = ast.Expr(ast.Constant(f"\0body:{_kind(node)}"))
        node.body = [*doc, marker]

    visit(tree.body, "")
    blocks.sort(key=lambda b: b[1])
    return Outline(_checksum(tree), tuple(blocks), frozenset(memo))
