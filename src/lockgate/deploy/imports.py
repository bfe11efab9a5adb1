"""Whether the shipped code can import what it imports: every shipped ``.py`` file parses, and
each of its imports resolves within the package, the standard library or the declared
dependencies. Read statically: nothing of the project runs.

Validation judges what features and tests reach; a module nothing imports (a base class, a
script) ships unjudged, and one importing a git-ignored ``local_settings.py``, a ``conftest.py``
or a module of the tests root validated fine beside those files and fails at import in the
package (issue 20). An import that cannot be resolved blocks, named with its file and line.

Not counted: the imports the code guards (see lockgate.project.unguarded). What each file
imports comes from its parse facts when the store holds them for its content (a fresh clone
has them from the remote), else from parsing it here.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from typing import Any

from lockgate.keys.hashing import digest
from lockgate.project.facts import read_facts, stored_name, unguarded_of
from lockgate.project.project import module_names
from lockgate.project.unguarded import Unguarded
from lockgate.remote.client import Remote
from lockgate.store.store import Store

__all__ = ["Imports", "declared_dependencies", "external_names", "import_facts", "unresolved"]

# What a file says of its imports: why it does not parse (None when it does), and its
# unguarded imports.
ImportFacts = tuple[str | None, tuple[Unguarded, ...]]
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


def import_facts(
    files: Mapping[str, bytes | None], store: Store | None, remote: Remote | None = None
) -> dict[str, ImportFacts]:
    """What each shipped ``.py`` file of ``files`` (path → source; None for a link, left out)
    says of its imports: from the parse facts ``store`` holds under its content's hash and the
    facts' version, else from ``remote`` in one batch (kept in the store: a fresh clone served
    the tree's record read none), else parsed here."""
    names = {p: stored_name(digest(source)) for p, source in files.items() if source is not None}
    stored = store.facts(set(names.values())) if store is not None else {}
    missing = set(names.values()) - stored.keys()
    if remote is not None and missing:
        fetched = remote.fetch_facts(missing)
        if fetched and store is not None:
            store.write([], {}, fetched, None)
        stored = {**stored, **fetched}
    out: dict[str, ImportFacts] = {}
    for path, name in names.items():
        text = stored.get(name)
        if text is not None:
            try:
                data = json.loads(text)
                out[path] = (data["error"], unguarded_of(data))
                continue
            except (ValueError, TypeError, KeyError):
                pass  # a fact of another shape: parsed again below, as if it were not there
        source = files[path]
        assert source is not None
        facts = read_facts(source)
        out[path] = (facts.error, facts.unguarded)
    return out


def unresolved(
    files: Mapping[str, bytes | None],
    src: Sequence[str],
    imports: Imports,
    store: Store | None = None,
    remote: Remote | None = None,
) -> list[str]:
    """One line per shipped ``.py`` file (``files``: path → source, None for a link, which is
    importable but read through its target) that does not parse, and per import in one that
    resolves to nothing the package can import. The files' parse facts come from ``store``
    where it holds them (see :func:`import_facts`)."""
    modules = module_names(sorted(files), src)
    packages = {prefix for name in modules for prefix in _prefixes(name)}
    packages |= {name for name, path in modules.items() if path.endswith("__init__.py")}
    module_of: dict[str, str] = {}
    for name, path in modules.items():
        module_of.setdefault(path, name)
    facts = import_facts(files, store, remote)
    bound = cache(lambda init: _bound_names(files[init]))
    problems: list[str] = []
    for path, (error, unguarded) in sorted(facts.items()):
        if error is not None:
            problems.append(f"{path} does not parse ({error})")
            continue
        me = module_of.get(path, "")
        package = me if path.endswith("__init__.py") else me.rpartition(".")[0]
        for found in unguarded:
            for written, missing in _check(found, package, modules, packages, bound, imports):
                problems.append(f"{path}:{found[0]} imports {written}{missing}")
    return problems


def _prefixes(name: str) -> Iterator[str]:
    parts = name.split(".")
    for i in range(1, len(parts)):
        yield ".".join(parts[:i])


def _check(
    found: Unguarded,
    package: str,
    modules: Mapping[str, str],
    packages: set[str],
    bound_names: Callable[[str], set[str]],
    imports: Imports,
) -> Iterator[tuple[str, str]]:
    """``(import as written, why it does not resolve)`` for each part of the import ``found``
    that does not resolve; ``bound_names`` gives the names a package's ``__init__`` binds."""
    _, module, level, names = found
    if names is None:  # import module
        why = _module(module, modules, packages, imports)
        if why:
            yield module, why
        return
    if level:
        parts = package.split(".") if package else []
        if level - 1 > len(parts):
            yield "." * level + module, ", above the top of the package"
            return
        base = ".".join([*parts[: len(parts) - (level - 1)], *filter(None, [module])])
    else:
        base = module
    written = "." * level + module
    why = _module(base, modules, packages, imports) if base else ""
    if why:
        yield written, why
        return
    if base not in packages:
        return  # a module, or outside the package: its names are its own business
    init = modules.get(base)
    bound = bound_names(init) if init is not None else set()
    for alias in names:
        name = f"{base}.{alias}"
        if alias == "*" or name in modules or name in packages or "*" in bound:
            continue
        if alias not in bound:
            yield f"{written} import {alias}", _missing(name, imports)


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
