"""Which function bodies of each loaded file a test file's run executed, from the batch's
per-context coverage, and when that view is not sound enough to key on."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from lockgate.execution.results import FIXTURE, IMPORT, BatchResult
from lockgate.project.blocks import Outline
from lockgate.project.facts import FileFacts

# Contexts whose lines may have left state that any later test file reads: code outside every
# test file (conftest, session hooks) and the setup of session or package fixtures.
_SHARED = (FIXTURE,)


class Execution:
    """The executed blocks of one batch, per (file, test files)."""

    def __init__(
        self,
        batch: BatchResult,
        facts: Mapping[str, FileFacts],
        real_path: Callable[[str], str],
    ) -> None:
        self._batch = batch
        self._facts = facts
        self._real = real_path
        self._imports: dict[str, frozenset[str]] = {}
        self._contexts: dict[str, frozenset[str]] = {}
        self._shared = frozenset(
            label
            for cov in batch.coverage.values()
            for label in cov.by_context
            if label == "" or label.startswith(_SHARED)
        )

    def _import_contexts(self, path: str) -> frozenset[str]:
        """The contexts that ran module-level code of ``path``: whoever imported it first.
        Function bodies run at import (a decorator's, a class attribute's call) ran there."""
        found = self._imports.get(path)
        if found is None:
            cov = self._batch.coverage.get(path)
            found = frozenset()
            if cov is not None:
                found = frozenset(k for k, lines in cov.by_context.items() if lines & cov.toplevel)
            self._imports[path] = found
        return found

    def contexts(self, test: str) -> frozenset[str]:
        """The contexts whose lines count as run for ``test``: its own, the shared ones, and
        the imports of the modules it loaded (each ran once, for everyone)."""
        found = self._contexts.get(test)
        if found is None:
            labels = {f"collect:{test}", f"run:{test}", *self._shared}
            for path in self._batch.files[test].loaded:
                labels.add(IMPORT + path)
                labels |= self._import_contexts(path)
            found = self._contexts[test] = frozenset(labels)
        return found

    def outline(self, path: str, tests: Sequence[str]) -> Outline | None:
        """The outline to key ``path`` on for ``tests``, or None when only its whole content
        will do: not parsed, not traced, read as data, a plugin's, run by a process a test
        started or where the tracer was bypassed, or loaded by none of them."""
        facts = self._facts.get(path)
        outline = facts.outline if facts is not None else None
        if outline is None or self._real(path) != path or path in self._batch.shared:
            return None
        if not self._import_contexts(path):
            return None  # loaded, but coverage saw none of its module-level code run
        outcomes = [self._batch.files[t] for t in tests]
        if any(not o.traced or o.spawned or o.bypassed or path in o.data for o in outcomes):
            return None  # lines ran unseen (a replaced tracer, a child process), or text was read
        if not any(path in o.loaded for o in outcomes):
            return None  # not imported by this run: only its whole content is known safe
        return outline

    def executed(self, path: str, tests: Sequence[str], outline: Outline) -> set[str]:
        """The blocks of ``path`` that ``tests`` ran; with those under a decorator that may
        keep results (``functools.cache``), wherever in the batch they ran."""
        cov = self._batch.coverage[path]
        lines: set[int] = set()
        for test in tests:  # a test file that did not import it may still have called it
            for label in self.contexts(test):
                lines |= cov.by_context.get(label, frozenset())
        names = outline.executed(lines)
        if outline.memo:
            everywhere = set().union(*cov.by_context.values())
            names |= outline.memo & outline.executed(everywhere)
        return names
