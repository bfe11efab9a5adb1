"""Guards on the layout of ``src/lockgate``, read with ``ast`` (nothing is imported).

Where SQL and git live, what the child processes may import, no import cycles, the design
map naming every module, size limits, and a reason beside every function-level import.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "lockgate"
DESIGN = REPO / "docs" / "design.md"

MAX_MODULE_LINES = 500
MAX_CLASS_LINES = 300
MAX_FUNCTION_LINES = 80

# What the child processes may import beyond the standard library. ``_pytest`` is pytest's
# own implementation package, shipped in the pytest distribution.
CHILD_THIRD_PARTY = frozenset({"coverage", "pytest", "_pytest"})
CHILD_PACKAGE = "lockgate.execution.child"
# Package inits a child module's import runs on the way: docstrings only.
CHILD_PARENTS = frozenset({"lockgate", "lockgate.execution"})

# The subprocess and os functions that start a program.
_SPAWNERS = frozenset(
    {
        "run",
        "Popen",
        "call",
        "check_call",
        "check_output",
        "getoutput",
        "getstatusoutput",
        "system",
        "popen",
        "execv",
        "execve",
        "execvp",
        "execvpe",
        "execl",
        "execlp",
        "spawnv",
        "spawnvp",
        "posix_spawn",
        "posix_spawnp",
    }
)


@dataclass(frozen=True)
class Module:
    """One file of the package."""

    name: str  # lockgate.store.store
    rel: str  # store/store.py, as the design map names it
    tree: ast.Module
    lines: tuple[str, ...]

    @property
    def package(self) -> str:
        """The package relative imports in this file start from."""
        if self.rel.endswith("__init__.py"):
            return self.name
        return self.name.rpartition(".")[0]


@dataclass(frozen=True)
class Import:
    """One import statement and where it stands."""

    node: ast.Import | ast.ImportFrom
    in_function: bool
    type_checking: bool

    def targets(self, package: str) -> list[str]:
        """The absolute names it imports: modules, and for ``from X import y`` also ``X.y``
        (which may be a module)."""
        if isinstance(self.node, ast.Import):
            return [alias.name for alias in self.node.names]
        base = self.node.module or ""
        if self.node.level:
            parts = package.split(".")
            parts = parts[: len(parts) - (self.node.level - 1)]
            base = ".".join([*parts, base] if base else parts)
        return [base, *(f"{base}.{alias.name}" for alias in self.node.names)]


@functools.cache
def modules() -> tuple[Module, ...]:
    """Every ``.py`` file under src/lockgate, parsed."""
    found: list[Module] = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        parts = ["lockgate", *rel.removesuffix(".py").split("/")]
        if parts[-1] == "__init__":
            parts.pop()
        text = path.read_text(encoding="utf-8")
        found.append(Module(".".join(parts), rel, ast.parse(text, rel), tuple(text.splitlines())))
    return tuple(found)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


@functools.cache
def imports(module: Module) -> tuple[Import, ...]:
    """Every import statement of ``module``: in a function or not, under
    ``if TYPE_CHECKING:`` or not (its ``else`` branch runs, so it is not)."""

    def walk(node: ast.AST, in_function: bool, type_checking: bool) -> Iterator[Import]:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield Import(node, in_function, type_checking)
            return
        if isinstance(node, ast.If) and _is_type_checking(node):
            for guarded in node.body:
                yield from walk(guarded, in_function, True)
            for other in node.orelse:
                yield from walk(other, in_function, type_checking)
            return
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            yield from walk(child, inner, type_checking)

    return tuple(walk(module.tree, False, False))


def _where(module: Module, node: ast.AST) -> str:
    return f"src/lockgate/{module.rel}:{getattr(node, 'lineno', 0)}"


def _top(name: str) -> str:
    return name.partition(".")[0]


def test_sqlite3_is_imported_only_in_the_store() -> None:
    """Every SQL statement lives in store/: no other module imports sqlite3, not even for
    types under ``if TYPE_CHECKING:``."""
    wrong = [
        _where(m, i.node)
        for m in modules()
        if not m.rel.startswith("store/")
        for i in imports(m)
        if any(_top(t) == "sqlite3" for t in i.targets(m.package))
    ]
    assert not wrong, "sqlite3 imported outside src/lockgate/store/: " + ", ".join(wrong)


def _runs_git(node: ast.AST) -> bool:
    """An argv starting with "git" (a list or tuple display), or a spawning call whose first
    argument is "git" or a command line starting with "git "."""
    if isinstance(node, ast.List | ast.Tuple) and node.elts:
        first = node.elts[0]
        return isinstance(first, ast.Constant) and first.value == "git"
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        first = node.args[0]
        return (
            name in _SPAWNERS
            and isinstance(first, ast.Constant)
            and isinstance(first.value, str)
            and (first.value == "git" or first.value.startswith("git "))
        )
    return False


def test_git_is_run_only_from_git_py() -> None:
    """No other module spells a git command line: an argv starting with "git", or a
    subprocess or os call given "git" as its program."""
    wrong = [
        _where(m, node)
        for m in modules()
        if m.rel != "git.py"
        for node in ast.walk(m.tree)
        if _runs_git(node)
    ]
    assert not wrong, "git run outside src/lockgate/git.py: " + ", ".join(wrong)


def _child_may_import(name: str) -> bool:
    top = _top(name)
    if top in sys.stdlib_module_names or top in CHILD_THIRD_PARTY:
        return True
    return name in CHILD_PARENTS or name == CHILD_PACKAGE or name.startswith(CHILD_PACKAGE + ".")


def test_child_code_imports_only_the_standard_library_coverage_pytest_and_itself() -> None:
    """Code under execution/child/ runs in test and import processes: any other lockgate
    module (and its imports) would load there too. Imports under ``if TYPE_CHECKING:`` never
    run, so they are left out."""
    known = {m.name for m in modules()}
    wrong = []
    for m in modules():
        if not m.rel.startswith("execution/child/"):
            continue
        for i in imports(m):
            if i.type_checking:
                continue
            if isinstance(i.node, ast.ImportFrom) and i.node.module == "__future__":
                continue
            targets = i.targets(m.package)
            if isinstance(i.node, ast.ImportFrom):
                # ``from X import y``: X, and X.y when that is a lockgate module
                # (``from lockgate import cli`` runs cli)
                targets = targets[:1] + [t for t in targets[1:] if t in known]
            wrong += [
                f"{_where(m, i.node)} imports {t}" for t in targets if not _child_may_import(t)
            ]
    assert not wrong, "child code imports beyond its allowance:\n" + "\n".join(wrong)


def import_graph() -> dict[str, dict[str, bool]]:
    """lockgate module → the lockgate modules it imports → whether only in a function.

    Every import statement counts except those under ``if TYPE_CHECKING:``; a cycle through
    a function-level import is still a cycle of design."""
    known = {m.name for m in modules()}
    graph: dict[str, dict[str, bool]] = {}
    for m in modules():
        edges = graph.setdefault(m.name, {})
        for i in imports(m):
            if i.type_checking:
                continue
            for target in i.targets(m.package):
                if target in known and target != m.name:
                    edges[target] = edges.get(target, True) and i.in_function
    return graph


def _components(graph: dict[str, dict[str, bool]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one member."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            members = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                members.append(top)
                if top == node:
                    break
            if len(members) > 1:
                out.append(sorted(members))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(out)


def _cycle(graph: dict[str, dict[str, bool]], members: list[str]) -> str:
    """A shortest cycle through the first member, inside its component, as text: ``a -> b``
    for a module-level import, ``a ~> b`` for one made only in a function."""
    start, inside = members[0], set(members)
    came: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node]):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came[path[-1]])
                    path.reverse()
                    text = start
                    for a, b in zip(path, [*path[1:], start], strict=True):
                        text += (" ~> " if graph[a][b] else " -> ") + b
                    return text
                if nxt in inside and nxt not in came and nxt != start:
                    came[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle through {start} in {members}")


def cycles(graph: dict[str, dict[str, bool]]) -> list[str]:
    """One cycle, as text, for each group of modules that import each other."""
    return [_cycle(graph, members) for members in _components(graph)]


def test_no_import_cycles() -> None:
    found = cycles(import_graph())
    assert not found, "import cycles among lockgate modules (~> in a function):\n" + "\n".join(
        found
    )


def test_design_map_names_every_module() -> None:
    """The map in docs/design.md names every module (``__init__.py`` files aside) by its path
    relative to src/lockgate, in backticks: `store/store.py`."""
    named = set(re.findall(r"`([^`\n]+)`", DESIGN.read_text(encoding="utf-8")))
    missing = [m.rel for m in modules() if not m.rel.endswith("__init__.py") and m.rel not in named]
    assert not missing, "modules missing from docs/design.md's map: " + ", ".join(missing)


def _too_long() -> Iterator[str]:
    for m in modules():
        if len(m.lines) > MAX_MODULE_LINES:
            yield f"src/lockgate/{m.rel}: {len(m.lines)} lines (module, max {MAX_MODULE_LINES})"
        for node in ast.walk(m.tree):
            if isinstance(node, ast.ClassDef):
                kind, limit = "class", MAX_CLASS_LINES
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                kind, limit = "function", MAX_FUNCTION_LINES
            else:
                continue
            # from the def/class line (decorators aside) to the last line, inclusive
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > limit:
                yield f"{_where(m, node)}: {kind} {node.name} has {length} lines (max {limit})"


def test_sizes() -> None:
    found = list(_too_long())
    assert not found, "too long:\n" + "\n".join(found)


def _lazy_reason(module: Module, node: ast.Import | ast.ImportFrom) -> bool:
    """True when the comment block directly above ``node`` starts with ``# lazy:``, import
    statements in between (one reason may cover a group of consecutive imports)."""
    starts = {
        i.node.end_lineno: i.node.lineno for i in imports(module) if i.node.end_lineno is not None
    }
    line = node.lineno - 1  # 1-based number of the line above
    while line in starts:
        line = starts[line] - 1
    first = None
    while line >= 1 and module.lines[line - 1].strip().startswith("#"):
        first = module.lines[line - 1].strip()
        line -= 1
    return first is not None and first.startswith("# lazy:")


def test_function_level_imports_say_why() -> None:
    """A function-level import is kept only where it serves the no-change fast path, and a
    comment starting ``# lazy:`` directly above says so (``if TYPE_CHECKING:`` is fine)."""
    wrong = [
        _where(m, i.node)
        for m in modules()
        for i in imports(m)
        if i.in_function and not i.type_checking and not _lazy_reason(m, i.node)
    ]
    assert not wrong, "function-level imports without a '# lazy:' comment: " + ", ".join(wrong)


def test_the_guards_see_the_whole_package() -> None:
    """The guards above pass vacuously if they read nothing: they read every module, and find
    what is there."""
    names = {m.name for m in modules()}
    assert {"lockgate", "lockgate.git", "lockgate.execution.child"} <= names
    assert len(names) > 50
    by_rel = {m.rel: m for m in modules()}
    assert any(_runs_git(node) for node in ast.walk(by_rel["git.py"].tree))
    assert any(
        "sqlite3" in i.targets(m.package)
        for m in modules()
        if m.rel.startswith("store/")
        for i in imports(m)
    )
    graph = import_graph()
    assert "lockgate.project.blocks" in graph["lockgate.project.facts"]
    assert "lockgate.model" in graph["lockgate.layers.scoring"]


def test_cycles_are_found_and_shown() -> None:
    graph = {
        "a": {"b": False},
        "b": {"c": True, "d": False},
        "c": {"a": False},
        "d": {},
        "e": {"f": False},
        "f": {"e": False},
    }
    assert cycles(graph) == ["a -> b ~> c -> a", "e -> f -> e"]
    assert cycles({"a": {"b": False}, "b": {}}) == []


def test_relative_imports_resolve_from_the_package() -> None:
    tree = ast.parse("from . import sibling\nfrom ..other import name\n")
    nodes = [node for node in tree.body if isinstance(node, ast.ImportFrom)]
    first, second = (Import(node, False, False) for node in nodes)
    assert first.targets("lockgate.store") == ["lockgate.store", "lockgate.store.sibling"]
    assert second.targets("lockgate.store") == ["lockgate.other", "lockgate.other.name"]


def test_the_child_allowance() -> None:
    for name in ("json", "importlib.util", "coverage", "pytest", "_pytest.config"):
        assert _child_may_import(name), name
    for name in ("lockgate", "lockgate.execution", "lockgate.execution.child.observe"):
        assert _child_may_import(name), name
    for name in ("lockgate.cli", "lockgate.execution.reaper", "pydantic", "rich"):
        assert not _child_may_import(name), name


def test_a_lazy_comment_covers_the_imports_below_it() -> None:
    text = (
        "def f():\n"
        "    # lazy: rich only on a terminal,\n"
        "    # which the fast path does not have\n"
        "    import rich\n"
        "    from rich.progress import (\n"
        "        Progress,\n"
        "    )\n"
        "    x = 1\n"
        "    import json\n"
        "    # a comment that gives no reason\n"
        "    import os\n"
    )
    module = Module("m", "m.py", ast.parse(text), tuple(text.splitlines()))
    found = {i.node.lineno: _lazy_reason(module, i.node) for i in imports(module)}
    assert found == {4: True, 5: True, 9: False, 11: False}
    assert all(i.in_function for i in imports(module))
