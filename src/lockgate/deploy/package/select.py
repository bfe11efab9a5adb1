"""Which tracked files ship: the built-in dev excludes, test files and ``deploy.exclude`` removed,
and the test-named files that shipped code imports put back."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from pathspec import GitIgnoreSpec

from lockgate import git
from lockgate.deploy.gates import is_env_file
from lockgate.project.config import Config
from lockgate.project.facts import read_facts
from lockgate.project.graph import ImportGraph
from lockgate.project.project import module_names
from lockgate.project.pytestconf import DEFAULT_PYTHON_FILES, matches, python_files

__all__ = ["DEV_EXCLUDES", "dev_only", "select", "shipped", "test_patterns"]

# Tracked but never shipped: tests, CI, caches, editor files, test-runner and lockgate
# configuration (gitignore syntax). setup.cfg is not among them: a build can need it.
# Test files elsewhere are found by pytest's python_files patterns (see select).
DEV_EXCLUDES: tuple[str, ...] = (
    "tests/",
    "test/",
    "conftest.py",
    ".github/",
    ".gitlab-ci.yml",
    ".ci/",
    ".circleci/",
    "__pycache__/",
    ".pytest_cache/",
    ".mypy_cache/",
    ".ruff_cache/",
    "*.pyc",
    ".vscode/",
    ".idea/",
    "*.swp",
    ".editorconfig",
    ".pre-commit-config.yaml",
    "tox.ini",
    "noxfile.py",
    "pytest.ini",
    ".pytest.ini",
    ".coveragerc",
    "lockgate.toml",
    ".lockgate/",
    ".gitignore",
    ".secrets.baseline",
)

# The content of tree entries, in order: how a package reads its source.
Reader = Callable[[list[git.TreeEntry]], Iterator[bytes]]


def select(
    entries: list[git.TreeEntry],
    config: Config,
    test_patterns: Sequence[str] = DEFAULT_PYTHON_FILES,
) -> list[git.TreeEntry]:
    """The tracked files that ship: built-in dev excludes, test files (``.py`` files matching
    ``test_patterns``, pytest's ``python_files``, at any depth) and ``deploy.exclude`` removed.

    ``.env`` files are never removed here, whatever the excludes say: the purity gate must see
    a committed environment file and block it rather than let it sit unnoticed in the history.
    Submodules (gitlinks) never ship: they have no content in this repository.
    """
    excluded = _excluded(config)
    return [
        e
        for e in entries
        if e.mode != git.GITLINK
        and (is_env_file(e.path) or not (_is_test_file(e.path, test_patterns) or excluded(e.path)))
    ]


def shipped(
    tree: list[git.TreeEntry], config: Config, patterns: Sequence[str], read: Reader
) -> tuple[list[git.TreeEntry], dict[str, str]]:
    """The entries of ``tree`` that ship, and the test-named files among them that shipped
    code imports (file → a shipped file importing it), which :func:`select` alone leaves out."""
    chosen = select(tree, config, patterns)
    paths = {e.path for e in chosen}
    # What only the test-file patterns removed: named like tests, possibly imported by code.
    excluded = _excluded(config)
    candidates = [
        e
        for e in tree
        if e.path not in paths
        and e.mode != git.GITLINK
        and _is_test_file(e.path, patterns)
        and not (is_env_file(e.path) or excluded(e.path))
    ]
    kept = _imported_tests(tree, config, chosen, candidates, read)
    if kept:
        chosen = [e for e in tree if e.path in paths or e.path in kept]
    return chosen, kept


def dev_only(
    config: Config, patterns: Sequence[str], kept: dict[str, str]
) -> Callable[[str], bool]:
    """Whether a path never ships by design (tests, conftest.py), though validation read it."""
    spec = _dev_spec(config)
    return lambda path: (
        spec.match_file(path) or (path not in kept and _is_test_file(path, patterns))
    )


def _excluded(config: Config) -> Callable[[str], bool]:
    """Whether the built-in dev excludes or ``deploy.exclude`` remove a path."""
    built_in = _dev_spec(config)
    user = GitIgnoreSpec.from_lines(config.deploy.exclude)
    return lambda path: built_in.match_file(path) or user.match_file(path)


def _is_test_file(path: str, patterns: Sequence[str]) -> bool:
    return path.endswith(".py") and matches(path, list(patterns))


def test_patterns(root: Path) -> list[str]:
    """pytest's defaults and the project's own ``python_files`` (from the configuration pytest
    would choose at the root)."""
    return list(dict.fromkeys([*DEFAULT_PYTHON_FILES, *python_files(root)]))


def _imported_tests(
    tree: list[git.TreeEntry],
    config: Config,
    shipped: list[git.TreeEntry],
    candidates: list[git.TreeEntry],
    read: Reader,
) -> dict[str, str]:
    """Test-named files (``candidates``) that shipped code imports, directly or through another
    one of them: file → a shipped file importing it. Leaving one out would break the package.

    Only shipped modules that mention a candidate's name are parsed: the others cannot import it.
    """
    if not candidates:
        return {}
    paths = [e.path for e in tree if e.path.endswith(".py")]
    modules = module_names(paths, config.src)
    module_of = {path: name for name, path in modules.items()}
    by_path = {e.path: e for e in candidates}
    stems = [posixpath.basename(e.path)[:-3].encode() for e in candidates]
    code = [e for e in shipped if e.path.endswith(".py") and e.mode != git.SYMLINK]
    facts = {
        e.path: read_facts(data)
        for e, data in zip(code, read(code), strict=True)
        if any(stem in data for stem in stems)
    }
    graph = ImportGraph(modules, module_of, facts)
    kept: dict[str, str] = {}
    queue = list(facts)
    while queue:
        path = queue.pop()
        for target in sorted(graph.imports_of(path)):
            if target in by_path and target not in kept:
                kept[target] = path
                (data,) = read([by_path[target]])
                facts[target] = read_facts(data)
                queue.append(target)
    return kept


def _dev_spec(config: Config) -> GitIgnoreSpec:
    """The built-in dev excludes and the configured test roots: validated, never shipped."""
    roots = [f"/{t.strip('/')}/" for t in config.tests if t.strip("/") not in ("", ".")]
    return GitIgnoreSpec.from_lines([*DEV_EXCLUDES, *roots])
