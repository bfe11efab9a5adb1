"""Features: concrete classes matching a feature table, found by a static AST scan."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping

from lockgate.config import Config
from lockgate.facts import ClassFacts, FileFacts
from lockgate.graph import ImportGraph
from lockgate.model import Feature


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


def discover(
    config: Config,
    files: list[str],
    modules: Mapping[str, str],
    module_of: Mapping[str, str],
    facts: Mapping[str, FileFacts],
    graph: ImportGraph,
) -> list[Feature]:
    """Every feature, in file order; a class claimed by two tables goes to the first."""
    hierarchy = _Hierarchy(modules, graph, facts)
    features: dict[str, Feature] = {}
    for table in config.features:
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
                features.setdefault(
                    fid,
                    Feature(
                        fid,
                        cls.name,
                        table.kind,
                        module,
                        path,
                        cls.line,
                        matches(cls.name, table.internal),
                    ),
                )
    return sorted(features.values(), key=lambda f: (f.path, f.line))
