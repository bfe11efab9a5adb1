"""Integration score and status from layer verdicts and weights."""

from __future__ import annotations

from collections.abc import Mapping

from lockgate.model import LayerResult
from lockgate.project.config import Weights

HEALTHY = 90
WARNING = 70


def score(layers: Mapping[str, LayerResult], weights: Weights) -> int:
    """Sum of the weights of passed layers, scaled so that all weights make 100."""
    table: dict[str, int] = {
        k: v for k, v in weights.model_dump().items() if v is not None and k in layers
    }
    total = sum(table.values())
    if total == 0:
        return 0
    # a failed layer under an exemption that still holds earns its weight (policy/exemptions.py)
    earned = sum(w for name, w in table.items() if _counts(layers[name]))
    return round(100 * earned / total)


def _counts(layer: LayerResult) -> bool:
    return layer.passed or (layer.exemption is not None and layer.exemption.active)


def status(value: float) -> str:
    """healthy ≥ 90, warning ≥ 70, critical below."""
    if value >= HEALTHY:
        return "healthy"
    if value >= WARNING:
        return "warning"
    return "critical"
