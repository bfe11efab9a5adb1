"""Why a layer of one feature would be reused or re-run: the inputs that differ from the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lockgate.commands.options import Options
from lockgate.errors import LockgateError
from lockgate.keys.plan import SUITE_LAYER
from lockgate.keys.reuse import AUDIT_MISMATCH
from lockgate.layers import tested
from lockgate.layers.tested import unowned
from lockgate.model import Feature
from lockgate.pipeline.runner import Runner
from lockgate.pipeline.validate import prepare
from lockgate.project.names import named_by, several
from lockgate.project.project import Project
from lockgate.store.store import Store, store_dir
from lockgate.why.reasons import Change, Now, compared
from lockgate.why.runlog import LastRun, last_run
from lockgate.words import counted


@dataclass
class LayerWhy:
    """The answer for one layer."""

    layer: str
    reused: bool
    reason: str
    changes: list[Change] = field(default_factory=list)
    # the tested layer: the test files it is judged on, each with how it was found
    tests: list[dict[str, str]] | None = None


def _find(features: list[Feature], wanted: str) -> Feature | None:
    """The feature ``wanted`` names (its id, or a tail of it as the table shows it); None
    when none does."""
    exact = [f for f in features if f.id == wanted]
    if exact:
        return exact[0]
    found = [f for f in features if named_by(f.id, wanted)]
    if len(found) > 1:
        raise LockgateError(several(wanted, [f.id for f in found]))
    return found[0] if found else None


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
        # a name that fits no feature or several is said before the owners' work
        feature = _find(prep.ctx.features, wanted)
        unknown = runner.attribute()  # run-time owners, as align plans with them
        test = _suite_file(prep.ctx.project.root, wanted, unowned(prep.ctx))
        if test is not None:
            owner, planned = test, [runner.plan_suite(test)]
        elif feature is not None:
            owner, planned = feature.id, runner.plan_feature(feature)
        else:
            raise LockgateError(f"no feature {wanted!r}; `lockgate align` lists them")
        found = runner.reuse(planned)
        store = prep.store
        latest = store.latest_of({(p.owner, p.layer) for p in planned if p.result is None})
        answers = []
        for item in planned:
            tests = _judged_on(runner, item.owner) if item.layer == tested.NAME else None
            if item.result is not None:
                said = "inputs unchanged since the stored result"
                if AUDIT_MISMATCH in found[item.key].marks:
                    said += (
                        ", which an audit stored in place of a wrong one (its fresh run "
                        "contradicted the result stored before it)"
                    )
                answers.append(LayerWhy(item.layer, True, said, [], tests))
                continue
            if tests is not None and unknown:
                shown = ", ".join(unknown[:3]) + (" …" if len(unknown) > 3 else "")
                waiting = (
                    f"{counted(len(unknown), 'test file')} ({shown}) must run with their "
                    "current inputs before its test files are known"
                )
                answers.append(LayerWhy(item.layer, False, waiting, [], tests))
                continue
            reason = item.reason or compared(
                latest.get((item.owner, item.layer)),
                Now(
                    runner.ctx.hasher.hashes(item.inputs.files),
                    item.inputs.config,
                    runner.env_digest,
                    prep.env_items,
                    runner.versions(item.layer),
                ),
                store.environment,
            )
            answers.append(LayerWhy(item.layer, False, reason.text, reason.changes, tests))
    finally:
        prep.store.close()
    return owner, answers


def _judged_on(runner: Runner, fid: str) -> list[dict[str, str]]:
    """The test files a feature's tested layer reads, and how each was found."""
    return [
        {"file": test, "found": runner.owners.how(fid, test)} for test in runner.ctx.owners[fid]
    ]


def _suite_file(root: Path, wanted: str, suite: list[str]) -> str | None:
    """The test file of no feature that ``wanted`` names (relative to the project or to the
    working directory), if any."""
    candidates = {Path(wanted).as_posix()}
    absolute = Path(wanted).resolve()
    if absolute.is_relative_to(root.resolve()):
        candidates.add(absolute.relative_to(root.resolve()).as_posix())
    return next((t for t in suite if t in candidates), None)


@dataclass
class LastWhy:
    """``why --last``: the last run, and per feature (or test file of no feature) its layers."""

    run: LastRun
    owners: list[tuple[str, list[LayerWhy]]]


def explain_last(root: Path, wanted: str | None) -> LastWhy:
    """What the last stored run did for ``wanted`` (every layer, reused or why it re-ran), or,
    without ``wanted``, for every feature and test file of which it re-ran something."""
    project = Project.open(root)
    folder = store_dir(project.root)
    if not (folder / "store.sqlite").is_file():
        raise LockgateError("no store yet: `lockgate align` creates it")
    store = Store(folder)
    try:
        last = last_run(store)
    finally:
        store.close()
    layers = {f: last.layers for f in last.features} | {t: [SUITE_LAYER] for t in last.suite}
    if wanted is None:
        chosen = [o for o in layers if o in last.reran]
    else:
        chosen = [_find_owner(project.root, last, wanted)]
    answers = []
    for owner in chosen:
        reran = last.reran.get(owner, {})
        answers.append(
            (
                owner,
                [
                    LayerWhy(layer, False, reran[layer].text, reran[layer].changes)
                    if layer in reran
                    else LayerWhy(layer, True, "reused, inputs unchanged")
                    for layer in layers[owner]
                ],
            )
        )
    return LastWhy(last, answers)


def _find_owner(root: Path, last: LastRun, wanted: str) -> str:
    """The feature (id or name) or test file of no feature of the last run that ``wanted``
    names."""
    test = _suite_file(root, wanted, last.suite)
    if test is not None:
        return test
    if wanted in last.features:
        return wanted
    found = [f for f in last.features if named_by(f, wanted)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise LockgateError(several(wanted, found))
    raise LockgateError(f"no feature or test file {wanted!r} in the last run ({last.command})")
