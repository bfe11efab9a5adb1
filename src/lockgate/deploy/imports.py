"""Whether the shipped code can import what it imports: every shipped ``.py`` file parses, and
each of its imports resolves within the package, the standard library or the declared
dependencies. Read statically: nothing of the project runs.

Validation judges what features and tests reach; a module nothing imports (a base class, a
script) ships unjudged, and one importing a git-ignored ``local_settings.py``, a ``conftest.py``
or a module of the tests root validated fine beside those files and fails at import in the
package (issue 20). An import that cannot be resolved blocks, named with its file and line.

Not counted: imports inside ``if TYPE_CHECKING:``, and imports in a ``try:`` whose handlers
catch ``ImportError`` (or ``ModuleNotFoundError``, ``Exception``, anything): the code says it
copes without them.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from lockgate.project.project import module_names

__all__ = ["Imports", "declared_dependencies", "external_names", "unresolved"]

_GUARDS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_STDLIB = frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names)


@dataclass
class Imports:
    """What the shipped code may import besides itself: the top-level names of the declared
    dependencies (and of what they require), and the modules of the tree that do not ship."""

    declared: list[str]  # distribution names, normalized
    unshipped: Mapping[str, str]  # module → file, for modules of the tree left out
    _external: frozenset[str] | None = None

    def provides(self, top: str) -> bool:
        """Whether a declared dependency (or what it requires) provides module ``top``.

        A name spelled as a declared distribution is taken at once; only another one pays for
        reading every installed distribution's files (about 70 ms), once per deploy.
        """
        if _normal(top) in self.declared:
            return True
        if self._external is None:
            self._external = external_names(self.declared)
        return top in self._external


def unresolved(
    files: Mapping[str, bytes | None], src: Sequence[str], imports: Imports
) -> list[str]:
    """One line per shipped ``.py`` file (``files``: path → source, None for a link, which is
    importable but read through its target) that does not parse, and per import in one that
    resolves to nothing the package can import."""
    modules = module_names(sorted(files), src)
    packages = {prefix for name in modules for prefix in _prefixes(name)}
    packages |= {name for name, path in modules.items() if path.endswith("__init__.py")}
    problems: list[str] = []
    for path, source in sorted(files.items()):
        if source is None:
            continue
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError) as exc:
            problems.append(f"{path} does not parse ({type(exc).__name__}: {exc})")
            continue
        me = next((m for m, p in modules.items() if p == path), "")
        package = me if path.endswith("__init__.py") else me.rpartition(".")[0]
        for node in _unguarded_imports(tree.body):
            for written, missing in _check(node, package, modules, packages, files, imports):
                problems.append(f"{path}:{node.lineno} imports {written}{missing}")
    return problems


def _prefixes(name: str) -> Iterator[str]:
    parts = name.split(".")
    for i in range(1, len(parts)):
        yield ".".join(parts[:i])


def _check(
    node: ast.Import | ast.ImportFrom,
    package: str,
    modules: Mapping[str, str],
    packages: set[str],
    files: Mapping[str, bytes | None],
    imports: Imports,
) -> Iterator[tuple[str, str]]:
    """``(import as written, why it does not resolve)`` for each part of ``node`` that does
    not resolve."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            why = _module(alias.name, modules, packages, imports)
            if why:
                yield alias.name, why
        return
    if node.level:
        parts = package.split(".") if package else []
        if node.level - 1 > len(parts):
            yield "." * node.level + (node.module or ""), ", above the top of the package"
            return
        base = ".".join([*parts[: len(parts) - (node.level - 1)], *filter(None, [node.module])])
    else:
        base = node.module or ""
    written = "." * node.level + (node.module or "")
    why = _module(base, modules, packages, imports) if base else ""
    if why:
        yield written, why
        return
    if base not in packages:
        return  # a module, or outside the package: its names are its own business
    init = modules.get(base)
    bound = _bound_names(files[init]) if init is not None else set()
    for alias in node.names:
        name = f"{base}.{alias.name}"
        if alias.name == "*" or name in modules or name in packages or "*" in bound:
            continue
        if alias.name not in bound:
            yield f"{written} import {alias.name}", _missing(name, imports)


def _module(name: str, modules: Mapping[str, str], packages: set[str], imports: Imports) -> str:
    """Why module ``name`` cannot be imported from the package ("" when it can)."""
    top = name.partition(".")[0]
    if top in modules or top in packages:
        if name in modules or name in packages:
            return ""
        return _missing(name, imports)
    if name in imports.unshipped or top in imports.unshipped:
        # the tree's own module, first on the path in validation, shadows any other
        return _missing(name if name in imports.unshipped else top, imports)
    if top in _STDLIB or imports.provides(top):
        return ""
    return ", which is not in the package, the standard library or the declared dependencies"


def _missing(name: str, imports: Imports) -> str:
    """Why a module under one of the package's own packages is missing."""
    path = imports.unshipped.get(name)
    if path is not None:
        return f", which is {path}: it does not ship (a dev file, test, excluded or untracked)"
    return ", which is not in the package"


def _unguarded_imports(body: Iterable[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import in ``body`` at any depth, except those the code guards."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            if not (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
                yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _unguarded_imports(node.orelse)
        elif isinstance(node, ast.Try | ast.TryStar) and any(
            _catches_import_error(h) for h in node.handlers
        ):
            yield from _unguarded_imports([*node.orelse, *node.finalbody])
            for handler in node.handlers:
                yield from _unguarded_imports(handler.body)
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    yield from _unguarded_imports([child])
                else:
                    yield from _nested(child)


def _nested(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports in statements below an expression-level node (a lambda holds none; a match
    case, a handler or a comprehension can hold statements only through their children)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.stmt):
            yield from _unguarded_imports([child])
        else:
            yield from _nested(child)


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


def _bound_names(source: bytes | None) -> set[str]:
    """Names a package's ``__init__`` binds anywhere in its body (``*`` when it star-imports,
    defines ``__getattr__``, or is a link, whose target is read elsewhere)."""
    if source is None:
        return {"*"}
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {"*"}  # reported as a file that does not parse
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                names.add(alias.asname or alias.name.partition(".")[0])
    return {"*"} if "__getattr__" in names else names


def declared_dependencies(
    metadata_table: Mapping[str, Any], requirements: bytes | None
) -> list[str]:
    """Distribution names the project declares: ``[project]`` dependencies and extras,
    ``[build-system] requires``, Poetry's dependencies, and ``requirements.txt``."""
    project = metadata_table.get("project", {})
    lines: list[str] = list(project.get("dependencies", []) or [])
    for extra in (project.get("optional-dependencies", {}) or {}).values():
        lines += list(extra or [])
    lines += list(metadata_table.get("build-system", {}).get("requires", []) or [])
    poetry = metadata_table.get("tool", {}).get("poetry", {})
    lines += [n for n in (poetry.get("dependencies", {}) or {}) if n != "python"]
    if requirements is not None:
        text = requirements.decode("utf-8", errors="replace")
        lines += [ln for ln in text.splitlines() if not ln.lstrip().startswith(("#", "-"))]
    return sorted({_normal(m.group(1)) for ln in lines if (m := _NAME.match(str(ln)))})


def external_names(declared: Iterable[str]) -> frozenset[str]:
    """The top-level import names the ``declared`` distributions provide, and those of what they
    require as installed here (a dependency's dependency is importable, if undeclared); a
    distribution not installed here provides the name it is spelled with."""
    provides: dict[str, set[str]] = {}
    for top, dists in metadata.packages_distributions().items():
        for dist in dists:
            provides.setdefault(_normal(dist), set()).add(top)
    seen: set[str] = set()
    stack = list(declared)
    names: set[str] = set()
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        names |= provides.get(name, {name.replace("-", "_")})
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        stack += [_normal(m.group(1)) for r in requires if (m := _NAME.match(r))]
    return frozenset(names)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
