"""The JSON object of DESIGN.md's contract."""

from __future__ import annotations

import json
from typing import Any

from lockgate import __version__
from lockgate.model import AlignResult, FeatureResult


def _feature(result: FeatureResult) -> dict[str, Any]:
    f = result.feature
    return {
        "id": f.id,
        "name": f.name,
        "kind": f.kind,
        "path": f.path,
        "line": f.line,
        "internal": f.internal,
        "score": result.score,
        "status": result.status,
        "layers": {
            name: {
                "passed": layer.passed,
                "cached": layer.cached,
                "detail": layer.detail,
                "seconds": layer.seconds,
            }
            for name, layer in result.layers.items()
        },
    }


def align_json(result: AlignResult) -> dict[str, Any]:
    """The object ``lockgate align --json`` prints."""
    scores = [r.score for r in result.features]
    counts = {s: sum(1 for r in result.features if r.status == s)
              for s in ("healthy", "warning", "critical")}
    return {
        "lockgate": __version__,
        "project": result.root,
        "threshold": result.threshold,
        "features": [_feature(r) for r in result.features],
        "summary": {
            "features": len(result.features),
            "mean_score": round(sum(scores) / len(scores), 1) if scores else 0.0,
            **counts,
            "orphans": result.orphans,
            "cache": {"hits": result.hits, "misses": result.misses},
            "seconds": result.seconds,
        },
    }


def dumps(data: dict[str, Any]) -> str:
    """Serialize for printing."""
    return json.dumps(data, indent=2)
