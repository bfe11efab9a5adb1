"""Why a layer of one feature would be reused or re-run: the inputs that differ from the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lockgate.errors import LockgateError
from lockgate.layers.tested import unowned
from lockgate.model import Feature
from lockgate.options import Options
from lockgate.project import Project
from lockgate.runner import Planned, Runner
from lockgate.validation import prepare


@dataclass
class Change:
    """One input that differs from the stored result's."""

    kind: str  # "file changed" | "file added" | "file removed" | "environment" | "configuration"
    item: str
    detail: str = ""


@dataclass
class LayerWhy:
    """The answer for one layer."""

    layer: str
    reused: bool
    reason: str
    changes: list[Change] = field(default_factory=list)


def _find(features: list[Feature], wanted: str) -> Feature:
    exact = [f for f in features if wanted in (f.id, f.name)]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        ids = ", ".join(f.id for f in exact)
        raise LockgateError(f"{wanted!r} names several features ({ids}); give the full id")
    raise LockgateError(f"no feature {wanted!r}; `lockgate align` lists them")


def _file_changes(old: dict[str, str | None], new: dict[str, str | None]) -> list[Change]:
    out = []
    for path in sorted(old.keys() | new.keys()):
        before, after = old.get(path), new.get(path)
        if before == after:
            continue
        if before is None:
            out.append(Change("file added", path))
        elif after is None:
            out.append(Change("file removed", path))
        else:
            out.append(Change("file changed", path))
    return out


def _config_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    return [
        Change("configuration", key, f"{old.get(key)!r} → {new.get(key)!r}")
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    ]


def _env_changes(old: dict[str, str], new: dict[str, str]) -> list[Change]:
    return [
        Change("environment", key, f"{old.get(key, '<absent>')} → {new.get(key, '<absent>')}")
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    ]


def explain(root: Any, wanted: str, options: Options) -> tuple[str, list[LayerWhy]]:
    """For each layer of one feature, or for a test file of no feature (its ``suite`` layer):
    would it be reused, and if not, what changed. Returns the feature id or the test file."""
    project = Project.open(root)
    prep = prepare(project, options)
    if prep.store is None:
        raise LockgateError("`why` reads the store; it cannot run with --no-cache")
    try:
        runner = Runner(
            prep.ctx, prep.store, prep.env_digest, options.retry_failed, 1, lambda _d, _a: None
        )
        runner.attribute()  # run-time owners, as align plans with them
        test = _suite_file(prep.ctx.project.root, wanted, unowned(prep.ctx))
        if test is not None:
            owner, planned = test, [runner.plan_suite(test)]
        else:
            feature = _find(prep.ctx.features, wanted)
            owner, planned = feature.id, runner.plan_feature(feature)
        found = runner.reuse(planned)
        latest = prep.store.latest_inputs(owner)
        answers = [
            _why(item, found, latest, prep.store.environment, prep.env_items, runner)
            for item in planned
        ]
    finally:
        prep.store.close()
    return owner, answers


def _suite_file(root: Path, wanted: str, suite: list[str]) -> str | None:
    """The test file of no feature that ``wanted`` names (relative to the project or to the
    working directory), if any."""
    candidates = {Path(wanted).as_posix()}
    absolute = Path(wanted).resolve()
    if absolute.is_relative_to(root.resolve()):
        candidates.add(absolute.relative_to(root.resolve()).as_posix())
    return next((t for t in suite if t in candidates), None)


def _why(
    item: Planned,
    found: dict[str, Any],
    latest: dict[str, tuple[str, dict[str, Any]]],
    stored_env: Any,
    env_items: dict[str, str],
    runner: Runner,
) -> LayerWhy:
    if item.result is not None:
        return LayerWhy(item.layer, True, "inputs unchanged since the stored result")
    if item.key in found:
        stored = found[item.key]
        if runner.retry_failed and not stored.passed:
            return LayerWhy(item.layer, False, "stored result failed and --retry-failed is set")
        moved = [p for p, h in stored.extras.items() if runner.ctx.hasher.hash(p) != h]
        return LayerWhy(
            item.layer,
            False,
            "a file loaded at run time changed",
            [Change("file changed", p) for p in moved],
        )
    if item.layer not in latest:
        return LayerWhy(item.layer, False, "no stored result for this feature and layer")
    _key, old = latest[item.layer]
    hashes = runner.ctx.hasher.hashes(item.inputs.files)
    changes = _file_changes(old["files"], hashes)
    changes += _config_changes(old["config"], item.inputs.config)
    if old["env"] != runner.env_digest:
        changes += _env_changes(stored_env(old["env"]), env_items) or [
            Change("environment", "fingerprint", "changed")
        ]
    reason = (
        "inputs differ from the stored result" if changes else "layer or lockgate version changed"
    )
    return LayerWhy(item.layer, False, reason, changes)
