"""Features: concrete classes matching a feature table, found by a static AST scan."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping

from lockgate.errors import LockgateError
from lockgate.model import Feature
from lockgate.project.config import Config, key_name
from lockgate.project.facts import ClassFacts, FileFacts
from lockgate.project.graph import ImportGraph
from lockgate.project.project import Project

# The facts of a file that could not be read at all (permissions, a dangling symlink): like a
# file that does not parse, it is reported as a failure, never scanned as empty.
UNREADABLE = FileFacts((), (), frozenset(), error="OSError: cannot read")
# A FIFO, socket or device named like a module: never read (it would block or never end), and
# a failure wherever it lies, under a feature table or not: nothing can be judged of it.
NOT_REGULAR = FileFacts((), (), frozenset(), error="OSError: not a regular file")


def _under(path: str, target: str) -> bool:
    target = target.strip("/")
    return target in (".", "") or path == target or path.startswith(target + "/")


def matches(name: str, patterns: list[str]) -> bool:
    """True when ``name`` matches one of the fnmatch ``patterns``."""
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


class _Hierarchy:
    """Abstract methods a class still lacks, following its bases within the project."""

    def __init__(
        self, modules: Mapping[str, str], graph: ImportGraph, facts: Mapping[str, FileFacts]
    ) -> None:
        self._modules, self._graph, self._facts = modules, graph, facts
        self._memo: dict[tuple[str, str], frozenset[str]] = {}

    def _find(self, path: str, written: str) -> tuple[str, ClassFacts] | None:
        """The project class a base name written in ``path`` refers to."""
        module, _, name = written.rpartition(".")
        if module:  # mod.Base: a module imported as written
            target = self._modules.get(module)
        else:
            local = next((c for c in self._facts[path].classes if c.name == name), None)
            if local is not None:
                return path, local
            target = None
            for source, level, names in self._facts[path].imports:
                if name in names:
                    target = self._modules.get(self._graph.absolute(path, source, level))
                    break
        if target is None or target not in self._facts:
            return None
        found = next((c for c in self._facts[target].classes if c.name == name), None)
        return (target, found) if found is not None else None

    def missing(self, path: str, cls: ClassFacts, depth: int = 0) -> frozenset[str]:
        """Abstract methods ``cls`` declares or inherits and does not implement."""
        memo = self._memo.get((path, cls.name))
        if memo is not None:
            return memo
        inherited: set[str] = set()
        concrete: set[str] = set(cls.methods) - set(cls.abstract_methods)
        for written in cls.bases if depth < 20 else ():
            found = self._find(path, written)
            if found is None or found == (path, cls):
                continue
            inherited |= self.missing(found[0], found[1], depth + 1)
            concrete |= set(found[1].methods) - set(found[1].abstract_methods)
        result = frozenset(set(cls.abstract_methods) | (inherited - concrete))
        self._memo[(path, cls.name)] = result
        return result


def broken_files(
    config: Config, files: list[str], facts: Mapping[str, FileFacts]
) -> dict[str, int | None]:
    """Files under a feature table's paths that cannot be read or parsed → the table's index
    (the first table, as for features); and files anywhere that are not regular files → the
    index of the table they lie under, else None."""
    out: dict[str, int | None] = {}
    for i, table in enumerate(config.features):
        for path in files:
            if facts[path].error is not None and any(_under(path, t) for t in table.paths):
                out.setdefault(path, i)
    for path in files:
        if facts[path] is NOT_REGULAR:
            out.setdefault(path, None)
    return dict(sorted(out.items()))


def discover(project: Project, facts: Mapping[str, FileFacts], graph: ImportGraph) -> list[Feature]:
    """Every feature, in file order; a class claimed by two tables goes to the first.

    Raises LockgateError for a table that finds neither a feature nor a broken file, unless
    it sets ``allow_empty``: a table that matches nothing validates nothing, silently.
    """
    config, files, module_of = project.config, project.python_files, project.module_of
    hierarchy = _Hierarchy(project.modules, graph, facts)
    features: dict[str, Feature] = {}
    found = set(broken_files(config, files, facts).values())  # tables that are not empty
    for i, table in enumerate(config.features):
        for path in files:
            if not any(_under(path, target) for target in table.paths):
                continue
            module = module_of.get(path)
            if module is None:
                continue
            for cls in facts[path].classes:
                if not matches(cls.name, table.classes) or matches(cls.name, table.exclude):
                    continue
                if cls.abstract or hierarchy.missing(path, cls):
                    continue
                fid = f"{module}.{cls.name}"
                if fid in features:
                    continue
                found.add(i)
                features[fid] = Feature(
                    fid,
                    cls.name,
                    table.kind,
                    module,
                    path,
                    cls.line,
                    matches(cls.name, table.internal),
                )
    for i, table in enumerate(config.features):
        if i not in found and not table.allow_empty:
            source = project.loaded.source
            raise LockgateError(
                f"{source}: {key_name(source, 'features', i)}: no feature found in "
                f"{', '.join(table.paths)} matching {', '.join(table.classes)}; "
                "fix paths or classes, or set allow_empty = true"
            )
    return sorted(_one_per_file(project, graph, features.values()), key=lambda f: (f.path, f.line))


def _one_per_file(
    project: Project, graph: ImportGraph, features: Iterable[Feature]
) -> list[Feature]:
    """One feature per class, where a symlink inside the project makes a file reachable under
    two paths (two module names): the name the project's code imports, else the real path."""
    by_real: dict[tuple[str, str], list[Feature]] = {}
    for feature in features:
        by_real.setdefault((project.real_path(feature.path), feature.name), []).append(feature)
    if all(len(group) == 1 for group in by_real.values()):
        return [group[0] for group in by_real.values()]
    imported = {target for path in project.python_files for target in graph.imports_of(path)}
    kept = []
    for (real, _), group in by_real.items():
        used = [f for f in group if f.path in imported]
        kept.append((used or [f for f in group if f.path == real] or group)[0])
    return kept
