"""What every layer sees: the project, its files' facts and hashes, the import graph."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from lockgate.keys.hashing import FileHasher
from lockgate.model import Feature
from lockgate.project.facts import FileFacts
from lockgate.project.graph import ImportGraph
from lockgate.project.project import Project, declared_inputs

# Where a layer reaches its verdict, as each layer module's ``RUNS_IN`` says: in lockgate's
# own process, in the import worker, in the pytest child, or in the performance measurement.
CLI, WORKER, PYTEST, MEASURE = "cli", "worker", "pytest", "measure"


@dataclass(frozen=True)
class Inputs:
    """What a layer's result depends on: files (present or absent) and configuration.

    Files come in parts (a module's closure, a test file's closure, the conftest files …)
    that many keys share: each part is hashed once per run, not once per key.
    """

    parts: tuple[frozenset[str], ...]
    config: dict[str, Any]

    @cached_property
    def files(self) -> frozenset[str]:
        """Every input file."""
        return frozenset().union(*self.parts)


@dataclass
class Context:
    """The state of one run that layers read from."""

    project: Project
    hasher: FileHasher
    graph: ImportGraph
    facts: dict[str, FileFacts]
    features: list[Feature]
    owners: dict[str, list[str]] = field(default_factory=dict)  # feature id → its test files
    _absent: dict[str, frozenset[str]] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)  # per-run indexes a layer builds once

    @cached_property
    def conftest_part(self) -> frozenset[str]:
        """Every conftest.py, what they import, and pytest's configuration files."""
        conftests = self.project.conftests
        return (
            frozenset(conftests)
            | self.graph.closure_of_all(conftests)
            # .pytest.ini: pytestconf reads it for python_files; .coveragerc.toml: coverage.py
            # reads it for its report exclusions
            | frozenset(
                (
                    "pytest.ini",
                    ".pytest.ini",
                    "tox.ini",
                    "setup.cfg",
                    ".coveragerc",
                    ".coveragerc.toml",
                )
            )
        )

    @cached_property
    def declared(self) -> frozenset[str]:
        """Files matched by the configured ``inputs`` globs."""
        return declared_inputs(self.project.root, self.project.config.inputs)

    def module_file(self, module: str) -> str | None:
        """The project file of ``module``, if it is one of the project's."""
        return self.project.modules.get(module)

    def module_closure(self, module: str) -> frozenset[str]:
        """The import closure of ``module``; when it is missing, the files that would create it.

        Keying on the absent candidates means creating the module later changes the key.
        """
        path = self.module_file(module)
        if path is not None:
            return self.graph.closure(path)
        found = self._absent.get(module)
        if found is None:
            rel = module.replace(".", "/")
            src = self.project.config.src
            bases = ["", *(s.strip("/") + "/" for s in src if s not in (".", "./"))]
            found = frozenset(f"{b}{rel}{tail}" for b in bases for tail in (".py", "/__init__.py"))
            self._absent[module] = found
        return found
