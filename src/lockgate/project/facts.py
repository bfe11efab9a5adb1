"""What one Python file says, read by AST once per content: imports, classes, referenced names,
and the imports it does not guard (for the deploy's import check)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from lockgate.project.blocks import Outline, outline_of
from lockgate.project.unguarded import Unguarded, unguarded_imports

_PROTOCOL_BASES = {"Protocol", "typing.Protocol", "typing_extensions.Protocol"}
_ABSTRACT_DECORATORS = {"abstractmethod", "abc.abstractmethod"}


# Bump when FileFacts changes shape: stored facts are keyed by content hash and this version
# (4: the unguarded imports).
VERSION = 4


def stored_name(content: str) -> str:
    """The name the facts of a file whose content hash is ``content`` are stored under (in
    the local store; the remote's is made of it, see lockgate.remote.parsed)."""
    return f"{content}/{VERSION}"


@dataclass(frozen=True)
class ClassFacts:
    """A top-level class statement."""

    name: str
    line: int
    abstract: bool  # a Protocol, or declares abstract methods itself
    docstring: str
    bases: tuple[str, ...] = ()  # as written: "Base", "mod.Base"
    methods: tuple[str, ...] = ()  # every function defined in the body
    abstract_methods: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileFacts:
    """The parsed summary of one file; ``error`` is set when it does not parse."""

    imports: tuple[tuple[str, int, tuple[str, ...]], ...]  # (module, level, imported names)
    classes: tuple[ClassFacts, ...]
    names: frozenset[str]
    error: str | None = None
    outline: Outline | None = (
        None  # its blocks (see lockgate.project.blocks); None when it does not parse
    )
    unguarded: tuple[Unguarded, ...] = ()  # see lockgate.project.unguarded

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form for the store."""
        return {
            "imports": [[m, lvl, list(n)] for m, lvl, n in self.imports],
            "classes": [
                [c.name, c.line, c.abstract, c.docstring, c.bases, c.methods, c.abstract_methods]
                for c in self.classes
            ],
            "names": sorted(self.names),
            "error": self.error,
            "outline": None if self.outline is None else self.outline.to_json(),
            "unguarded": [list(i) for i in self.unguarded],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileFacts:
        """Rebuild from :meth:`to_json` output."""
        return cls(
            imports=tuple((m, lvl, tuple(n)) for m, lvl, n in data["imports"]),
            classes=tuple(
                ClassFacts(n, ln, ab, doc, tuple(b), tuple(m), tuple(am))
                for n, ln, ab, doc, b, m, am in data["classes"]
            ),
            names=frozenset(data["names"]),
            error=data["error"],
            outline=None if data["outline"] is None else Outline.from_json(data["outline"]),
            unguarded=unguarded_of(data),
        )


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Subscript):
        return _dotted(node.value)
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _class_facts(node: ast.ClassDef) -> ClassFacts:
    functions = [i for i in node.body if isinstance(i, ast.FunctionDef | ast.AsyncFunctionDef)]
    abstract_methods = tuple(
        f.name
        for f in functions
        if any(_dotted(d) in _ABSTRACT_DECORATORS for d in f.decorator_list)
    )
    bases = tuple(_dotted(b) for b in node.bases)
    protocol = any(b in _PROTOCOL_BASES for b in bases)
    return ClassFacts(
        name=node.name,
        line=node.lineno,
        abstract=protocol or bool(abstract_methods),
        docstring=ast.get_docstring(node) or "",
        bases=bases,
        methods=tuple(f.name for f in functions),
        abstract_methods=abstract_methods,
    )


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
    classes = tuple(_class_facts(node) for node in tree.body if isinstance(node, ast.ClassDef))
    unguarded = unguarded_imports(tree)
    # last: outline_of replaces function bodies in the tree
    outline = outline_of(tree)
    return FileFacts(tuple(imports), classes, frozenset(names), None, outline, unguarded)


def unguarded_of(data: dict[str, Any]) -> tuple[Unguarded, ...]:
    """The unguarded imports of facts in :meth:`FileFacts.to_json` form, alone (the deploy's
    import check needs no more of them)."""
    return tuple(
        (int(line), str(module), int(level), None if names is None else tuple(names))
        for line, module, level, names in data["unguarded"]
    )
