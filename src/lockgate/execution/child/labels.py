"""Coverage contexts of the test child: whose lines are running now.

The plugin names the test file being collected or run (``collect:<file>``, ``run:<file>``) and
the session or package fixture being set up (``fixture:<id>``). Whatever runs while a project
module is being imported — its module-level code, and any function that code calls — is
labelled ``import:<module file>`` instead, whichever test file triggered the import: a module
is imported once per process, by whichever file needs it first, so those lines are not that
file's doing. Verdicts count them for every test file that used the module
(:func:`lockgate.execution.results.coverage_of`), which makes attribution independent of the
order in which test files ran.

Imports are seen where every source module's code runs: ``exec_module`` of the import system's
file loaders, however the import was asked for (an ``import`` statement, ``importlib``,
``spec.loader.exec_module``). pytest's own loader for test modules and conftests is not one:
a test module's code belongs to its test file.
"""

from __future__ import annotations

import importlib.machinery
import os
from typing import Any, Protocol

IMPORT = "import:"


class _Switch(Protocol):
    def switch_context(self, new_context: str) -> Any: ...


class Labels:
    """The current coverage context: the plugin's, unless a project module is importing."""

    def __init__(self, cov: _Switch, root: str) -> None:
        self._cov = cov
        self._roots = tuple(
            dict.fromkeys(r.rstrip(os.sep) + os.sep for r in (root, os.path.realpath(root)))
        )
        self.base = ""  # the plugin's label: a test file's, a fixture's, or none
        self._imports: list[str] = []  # the labels of the project modules importing now

    def set(self, label: str) -> None:
        """From now on lines belong to ``label`` (once the imports under way ended)."""
        self.base = label
        if not self._imports:
            self._cov.switch_context(label)

    def _enter(self, origin: object) -> bool:
        if not isinstance(origin, str):
            return False
        root = next((r for r in self._roots if origin.startswith(r)), None)
        if root is None:
            return False  # not measured: its lines are nobody's, the enclosing label stays
        self._imports.append(IMPORT + origin[len(root) :].replace(os.sep, "/"))
        self._cov.switch_context(self._imports[-1])
        return True

    def _leave(self) -> None:
        self._imports.pop()
        self._cov.switch_context(self._imports[-1] if self._imports else self.base)

    def install(self) -> None:
        """Label every project module's import from now on."""
        labels = self
        # Every file loader of the import system (source, bytecode, zip) runs a module's code
        # through this one method of their common base.
        mro = importlib.machinery.SourceFileLoader.__mro__
        basics: Any = next((c for c in mro if c.__name__ == "_LoaderBasics"), mro[0])
        real = basics.exec_module

        def exec_module(self: Any, module: Any) -> None:
            spec = getattr(module, "__spec__", None)
            entered = labels._enter(getattr(spec, "origin", None))
            try:
                real(self, module)
            finally:
                if entered:
                    labels._leave()

        basics.exec_module = exec_module
