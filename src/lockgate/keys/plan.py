"""Planning: every (feature, layer), and every test file of no feature, with its inputs and key.

A key hashes what a result depends on: the layer's and lockgate's versions, the environment
fingerprint, the layer's configuration and the content of its input files. With block keys,
files other than the test files, the conftests and the feature's module are keyed on their
module-level code, the function bodies a run executed being checked among its extras
(see :mod:`lockgate.keys.extras`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from lockgate import __version__
from lockgate.keys.hashing import FileHasher, key_of
from lockgate.layers import (
    discovered,
    documented,
    imported,
    instantiated,
    optimized,
    tested,
    wired,
)
from lockgate.layers.base import Context, Inputs
from lockgate.model import Feature, LayerResult
from lockgate.project.facts import FileFacts
from lockgate.why.reasons import Reason

MODULES: dict[str, ModuleType] = {
    m.NAME: m for m in (discovered, imported, instantiated, documented, tested, wired, optimized)
}
SUITE_LAYER = "suite"


@dataclass
class Planned:
    """One (feature or suite file, layer) with its inputs and key."""

    owner: str  # feature id, or a test file for the suite layer
    layer: str
    inputs: Inputs
    key: str
    result: LayerResult | None = None
    extras: dict[str, str | None] = field(default_factory=dict)
    reason: Reason | None = None  # why it re-runs, when it is not reused
    rechecked: bool = False  # a stored failure run again before it could block (deploy)
    audited: LayerResult | None = None  # the stored result an audit runs again (keys/audit.py)
    # block keys: the files keyed whole (the test files, the feature's module, conftests);
    # None when every input file is keyed whole
    whole: frozenset[str] | None = None


def layer_module(layer: str) -> ModuleType:
    """The module of a layer; the suite layer is the tested layer's, for test files of no
    feature."""
    return tested if layer == SUITE_LAYER else MODULES[layer]


def versions(layer: str) -> list[Any]:
    """The layer's and lockgate's versions, both in every key of that layer."""
    return [layer_module(layer).VERSION, __version__]


class Planner:
    """Inputs and keys for one run, each part of the inputs hashed once."""

    def __init__(self, ctx: Context, env_digest: str, layers: tuple[str, ...]) -> None:
        self.ctx = ctx
        self.env_digest = env_digest
        self.layers = layers
        self.blocks = ctx.project.config.keys == "blocks"
        self._digests: dict[frozenset[str], str] = {}
        self._outlined: dict[frozenset[str], str] = {}

    def files_digest(self, files: frozenset[str]) -> str:
        """One hash over a set of files and their contents (absent files included).

        Memoized per set: the parts of inputs (closures, conftests) recur across keys.
        """
        found = self._digests.get(files)
        if found is None:
            hasher = self.ctx.hasher
            found = key_of(sorted((p, hasher.hash(p)) for p in files))
            self._digests[files] = found
        return found

    def outlines_digest(self, files: frozenset[str]) -> str:
        """Like :meth:`files_digest`, with a Python file's module-level checksum (see
        :mod:`lockgate.project.blocks`) in place of its content hash: the function bodies a run
        executed are checked among its extras instead."""
        found = self._outlined.get(files)
        if found is None:
            hasher, facts = self.ctx.hasher, self.ctx.facts
            found = key_of(sorted((p, _static(p, hasher, facts)) for p in files))
            self._outlined[files] = found
        return found

    def key(
        self, layer: str, version: int, inputs: Inputs, whole: frozenset[str] | None = None
    ) -> str:
        """The key of one layer result; with ``whole`` (block keys), files other than those
        are keyed on their module-level code, their executed bodies being extras."""
        if whole is None:
            parts = [self.files_digest(part) for part in inputs.parts]
        else:
            parts = [self.outlines_digest(part) for part in inputs.parts]
            parts += ["blocks", self.files_digest(whole)]
        return key_of([layer, version, __version__, self.env_digest, inputs.config, parts])

    def _whole(self, tests: list[str], module: str | None) -> frozenset[str] | None:
        """What block keys keep whole: what the run cannot see per block. The test files and
        conftests (pytest reads them as data to rewrite them, and their hooks serve every test
        file), and the feature's module (its coverage percentage is the verdict)."""
        if not self.blocks:
            return None
        own = [*tests, *self.ctx.project.conftests]
        return frozenset([*own, module] if module is not None else own)

    def plan_feature(self, feature: Feature) -> list[Planned]:
        """Inputs and key for every layer of one feature."""
        planned = []
        for layer in self.layers:
            module = MODULES[layer]
            inputs = module.inputs(self.ctx, feature)
            whole = None
            if layer == tested.NAME:
                whole = self._whole(self.ctx.owners[feature.id], feature.path)
            key = self.key(layer, module.VERSION, inputs, whole)
            planned.append(Planned(feature.id, layer, inputs, key, whole=whole))
        return planned

    def plan(self) -> list[Planned]:
        """Inputs and key for every (feature, layer); with the tested layer, also for every
        test file of no feature, so that the whole suite a deploy gates on is validated."""
        planned = [p for feature in self.ctx.features for p in self.plan_feature(feature)]
        if tested.NAME in self.layers:
            planned += [self.plan_suite(test) for test in tested.unowned(self.ctx)]
        return planned

    def plan_suite(self, test: str) -> Planned:
        """Inputs and key of one test file of no feature."""
        inputs = suite_inputs(self.ctx, test)
        whole = self._whole([test], None)
        key = self.key(SUITE_LAYER, tested.VERSION, inputs, whole)
        return Planned(test, SUITE_LAYER, inputs, key, whole=whole)


def suite_inputs(ctx: Context, test: str) -> Inputs:
    """The inputs of one test file run on its own (its suite key, its run-time imports' key)."""
    return Inputs(tested.suite_inputs(ctx, [test]), tested.suite_config(ctx, test))


def _static(path: str, hasher: FileHasher, facts: dict[str, FileFacts]) -> str | None:
    """What an outlined key holds of ``path``: its module-level checksum, else its content."""
    found = facts.get(path)
    if found is not None and found.outline is not None:
        return f"outline:{found.outline.module}"
    return hasher.hash(path)
