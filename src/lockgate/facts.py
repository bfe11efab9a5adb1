"""What one Python file says, read by AST once per content: imports, classes, referenced names."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

_PROTOCOL_BASES = {"Protocol", "typing.Protocol", "typing_extensions.Protocol"}
_ABSTRACT_DECORATORS = {"abstractmethod", "abc.abstractmethod"}


@dataclass(frozen=True)
class ClassFacts:
    """A top-level class statement."""

    name: str
    line: int
    abstract: bool
    docstring: str


@dataclass(frozen=True)
class FileFacts:
    """The parsed summary of one file; ``error`` is set when it does not parse."""

    imports: tuple[tuple[str, int, tuple[str, ...]], ...]  # (module, level, imported names)
    classes: tuple[ClassFacts, ...]
    names: frozenset[str]
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form for the store."""
        return {
            "imports": [[m, lvl, list(n)] for m, lvl, n in self.imports],
            "classes": [[c.name, c.line, c.abstract, c.docstring] for c in self.classes],
            "names": sorted(self.names),
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileFacts:
        """Rebuild from :meth:`to_json` output."""
        return cls(
            imports=tuple((m, lvl, tuple(n)) for m, lvl, n in data["imports"]),
            classes=tuple(ClassFacts(*c) for c in data["classes"]),
            names=frozenset(data["names"]),
            error=data["error"],
        )


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Subscript):
        return _dotted(node.value)
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _is_abstract(node: ast.ClassDef) -> bool:
    if any(_dotted(base) in _PROTOCOL_BASES for base in node.bases):
        return True
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            _dotted(d) in _ABSTRACT_DECORATORS for d in item.decorator_list
        ):
            return True
    return False


def read_facts(source: bytes) -> FileFacts:
    """Parse ``source``; imports anywhere in the file count (function-level ones too)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError) as exc:
        return FileFacts((), (), frozenset(), error=f"{type(exc).__name__}: {exc}")
    imports: list[tuple[str, int, tuple[str, ...]]] = []
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports.extend((alias.name, 0, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imports.append((node.module or "", node.level, tuple(a.name for a in node.names)))
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
    classes = tuple(
        ClassFacts(node.name, node.lineno, _is_abstract(node), ast.get_docstring(node) or "")
        for node in tree.body
        if isinstance(node, ast.ClassDef)
    )
    return FileFacts(tuple(imports), classes, frozenset(names))
