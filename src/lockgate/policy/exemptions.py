"""Exemptions that expire (``[[tool.lockgate.exempt]]``): until its date a failed layer is shown
as exempt, counts as passed in the score and blocks nothing; after it, it blocks again and says
that its exemption lapsed. The stored results never change: exemptions apply to a run's view."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path

from lockgate.layers.scoring import score, status
from lockgate.model import AlignResult, Exemption, FeatureResult
from lockgate.policy.clock import today
from lockgate.project.config import Exempt, Weights, load


def matches(exempt: Exempt, result: FeatureResult) -> bool:
    """An exemption names a feature by id, by class name, or by an fnmatch pattern on its id."""
    feature = result.feature
    return exempt.feature in (feature.id, feature.name) or fnmatchcase(feature.id, exempt.feature)


def apply(
    result: AlignResult, exempts: Sequence[Exempt], today: date, weights: Weights
) -> list[str]:
    """Mark every failed layer an exemption covers, rescore those features, and return a
    warning for every exemption that names no feature or a layer its features do not have."""
    warnings = []
    for exempt in exempts:
        hit = [r for r in result.features if matches(exempt, r)]
        if not hit:
            warnings.append(
                f"exemption for {exempt.feature} ({exempt.layer}) names no feature; remove it"
            )
            continue
        if not any(exempt.layer in r.layers for r in hit):
            warnings.append(
                f"exemption for {exempt.feature} ({exempt.layer}): no such layer was judged; "
                "remove it"
            )
            continue
        state = Exemption(exempt.until, exempt.reason, today <= exempt.until)
        for r in hit:
            layer = r.layers.get(exempt.layer)
            if layer is not None and not layer.passed:
                layer.exemption = state
    for r in result.features:
        if any(layer.exemption is not None for layer in r.layers.values()):
            r.score = score(r.layers, weights)
            r.status = status(r.score)
    return warnings


def apply_configured(root: Path, result: AlignResult) -> None:
    """Apply the project's exemptions on today's date (:mod:`lockgate.policy.clock`); their
    warnings join the run's."""
    config = load(root).config
    result.warnings += apply(result, config.exempt, today(), config.weights)
