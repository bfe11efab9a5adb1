"""The imports a file does not guard: those that must resolve for it to import at all.

Not counted: imports inside ``if TYPE_CHECKING:``, and imports in a ``try:`` whose handlers
catch ``ImportError`` (or ``ModuleNotFoundError``, ``Exception``, anything): the code says it
copes without them. ``from __future__`` is the compiler's, not an import. Read once per
content with the file's other facts (lockgate.project.facts); the deploy's import check
(lockgate.deploy.imports) resolves them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

_GUARDS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}

# (line, module, level, names): ``import a.b`` is (line, "a.b", 0, None), one per name it
# imports; ``from ..m import x, y`` is (line, "m", 2, ("x", "y")); ``from . import x`` has
# module "".
Unguarded = tuple[int, str, int, tuple[str, ...] | None]


def unguarded_imports(tree: ast.Module) -> tuple[Unguarded, ...]:
    """Every import of ``tree`` at any depth that the code does not guard, in source order."""
    out: list[Unguarded] = []
    for node in _walk(tree.body):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name, 0, None) for alias in node.names)
        else:
            names = tuple(a.name for a in node.names)
            out.append((node.lineno, node.module or "", node.level, names))
    return tuple(out)


def _walk(body: Iterable[ast.AST]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The unguarded imports in ``body``. No expression holds a statement (a lambda holds
    none), so only statements and the clauses between them (a handler, a match case) are
    entered."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            if not (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
                yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _walk(node.orelse)
        elif isinstance(node, ast.Try | ast.TryStar) and any(
            _catches_import_error(h) for h in node.handlers
        ):
            yield from _walk([*node.orelse, *node.finalbody])
            for handler in node.handlers:
                yield from _walk(handler.body)
        else:
            yield from _walk(c for c in ast.iter_child_nodes(node) if not isinstance(c, ast.expr))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(
        (isinstance(k, ast.Name) and k.id in _GUARDS)
        or (isinstance(k, ast.Attribute) and k.attr in _GUARDS)
        for k in kinds
    )
