"""Imports between the project's files, and the closures they form."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lockgate.project.facts import FileFacts


class ImportGraph:
    """Which project files each project file imports (package ``__init__`` files included)."""

    def __init__(
        self,
        modules: Mapping[str, str],
        module_of: Mapping[str, str],
        facts: Mapping[str, FileFacts],
    ) -> None:
        self._modules = modules
        self._module_of = module_of
        self._facts = facts
        self._edges: dict[str, frozenset[str]] = {}
        self._closures: dict[str, frozenset[str]] = {}

    def absolute(self, path: str, module: str, level: int) -> str:
        """The absolute name of ``from <level dots><module> import`` written in ``path``."""
        if not level:
            return module
        name = self._module_of.get(path, "")
        package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
        parts = package.split(".") if package else []
        parts = parts[: len(parts) - (level - 1)]
        return ".".join([*parts, module] if module else parts)

    def _with_parents(self, module: str, out: set[str]) -> None:
        parts = module.split(".")
        for i in range(1, len(parts) + 1):
            found = self._modules.get(".".join(parts[:i]))
            if found is not None:
                out.add(found)

    def imports_of(self, path: str) -> frozenset[str]:
        """Project files that ``path`` imports directly, anywhere in its body."""
        cached = self._edges.get(path)
        if cached is not None:
            return cached
        out: set[str] = set()
        facts = self._facts.get(path)
        for written, level, names in facts.imports if facts else ():
            module = self.absolute(path, written, level)
            if not module:
                continue
            self._with_parents(module, out)
            for name in names:
                sub = self._modules.get(f"{module}.{name}")
                if sub is not None:
                    out.add(sub)
        out.discard(path)
        result = frozenset(out)
        self._edges[path] = result
        return result

    def closure(self, path: str) -> frozenset[str]:
        """``path`` and every project file it reaches through imports."""
        cached = self._closures.get(path)
        if cached is not None:
            return cached
        seen = {path}
        stack = [path]
        while stack:
            for nxt in self.imports_of(stack.pop()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        # Packages on the way to the file itself are imported before it.
        module = self._module_of.get(path)
        if module:
            self._with_parents(module, seen)
        result = frozenset(seen)
        self._closures[path] = result
        return result

    def closure_of_all(self, paths: Iterable[str]) -> frozenset[str]:
        """The union of the closures of ``paths``."""
        out: set[str] = set()
        for path in paths:
            out |= self.closure(path)
        return frozenset(out)
