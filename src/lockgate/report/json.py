"""The JSON object of DESIGN.md's contract."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from lockgate import __version__
from lockgate.model import AlignResult, Audit, FeatureResult, LayerResult, Performance
from lockgate.policy.codeowners import groups


def iso(stamp: float | None) -> str | None:
    """A UTC timestamp as ``2026-11-27T10:00:00Z``."""
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def performance_json(perf: Performance) -> dict[str, Any]:
    """The ``performance`` object of one feature."""
    return {
        "score": perf.score,
        "passed": perf.passed,
        "import_ms": perf.import_ms,
        "instantiate_ms": perf.instantiate_ms,
        "peak_mb": perf.peak_mb,
        "cached": perf.cached,
        "expires": iso(perf.expires),
        "detail": perf.detail,
    }


def _marked(row: dict[str, Any], load_dependent: bool, flaky: bool) -> dict[str, Any]:
    """A layer or suite row with its flags, present only when set (like ``broken``)."""
    if load_dependent:
        row["load_dependent"] = True
    if flaky:
        row["flaky"] = True
    return row


def _layer(layer: LayerResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "passed": layer.passed,
        "cached": layer.cached,
        "detail": layer.detail,
        "seconds": layer.seconds,
    }
    if layer.reason is not None:  # only a re-run layer has one: why it ran
        out["reason"] = layer.reason
    if layer.exemption is not None:  # a failed layer an exemption names (policy/exemptions.py)
        out["exemption"] = {
            "until": layer.exemption.until.isoformat(),
            "reason": layer.exemption.reason,
            "active": layer.exemption.active,
        }
    if layer.audit_mismatch:  # an audit ran it again and it contradicted the stored result
        out["audit_mismatch"] = True
    return _marked(out, layer.load_dependent, layer.flaky)


def _feature(result: FeatureResult) -> dict[str, Any]:
    f = result.feature
    out = {
        "id": f.id,
        "name": f.name,
        "kind": f.kind,
        "path": f.path,
        "line": f.line,
        "internal": f.internal,
        "score": result.score,
        "status": result.status,
        "layers": {name: _layer(layer) for name, layer in result.layers.items()},
    }
    if result.owners:  # from CODEOWNERS, only when it names some (like ``broken``)
        out["owner"] = result.owners[0]
        out["owners"] = list(result.owners)
    if f.broken:  # a file under a feature table that cannot be read or parsed, not a class
        out["broken"] = True
    if result.performance is not None:
        out["performance"] = performance_json(result.performance)
    return out


def align_json(result: AlignResult) -> dict[str, Any]:
    """The object ``lockgate align --json`` prints."""
    scores = [r.score for r in result.features]
    counts = {
        s: sum(1 for r in result.features if r.status == s)
        for s in ("healthy", "warning", "critical")
    }
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
            "cache": {
                "hits": result.hits,
                "misses": result.misses,
                "remote_hits": result.remote_hits,
                "remote_errors": result.remote_errors,
            },
            "seconds": result.seconds,
            **(
                {"shard": {"index": result.shard[0], "count": result.shard[1]}}
                if result.shard and result.run_id is None
                else {}
            ),
            **({"shard": {"auto": True, "run_id": result.run_id}} if result.run_id else {}),
            **({"audit": audit_json(result.audit)} if result.audit is not None else {}),
            **({"owners": owners_json(result)} if any(r.owners for r in result.features) else {}),
            "writes": [
                {
                    "path": w.path,
                    "change": w.change,
                    "tests": list(w.by),
                    "repository": w.repository,
                }
                for w in result.writes
            ],
        },
        "suite": [
            _marked(
                {
                    "file": s.path,
                    "passed": s.passed,
                    "cached": s.cached,
                    "detail": s.detail,
                    "seconds": s.seconds,
                },
                s.load_dependent,
                s.flaky,
            )
            for s in result.suite
        ],
    }


def owners_json(result: AlignResult) -> dict[str, dict[str, Any]]:
    """``summary.owners``: per CODEOWNERS owner (``(unowned)`` last), their features' count,
    mean score and statuses."""
    out = {}
    for owner, rows in groups(result).items():
        scores = [r.score for r in rows]
        out[owner] = {
            "features": len(rows),
            "mean_score": round(sum(scores) / len(scores), 1),
            **{
                s: sum(1 for r in rows if r.status == s) for s in ("healthy", "warning", "critical")
            },
        }
    return out


def audit_json(audit: Audit) -> dict[str, Any]:
    """``summary.audit``: the share asked for, the seed, how many served results ran again,
    how many of them were wrong, and each of those; the window (every served result is
    audited within that many runs), its parts, whether this run was due and the next that is."""
    return {
        "fraction": audit.fraction,
        "seed": audit.seed,
        "sampled": audit.sampled,
        "mismatches": len(audit.mismatches),
        "window": audit.window,
        "parts": audit.parts,
        "due": audit.part is not None,
        "next_due": audit.next_due,
        "results": [
            {
                "feature": m.owner,
                "layer": m.layer,
                "stored": {"passed": m.stored.passed, "detail": m.stored.detail},
                "fresh": {"passed": m.fresh.passed, "detail": m.fresh.detail},
                "inputs": m.inputs,
            }
            for m in audit.mismatches
        ],
    }


def dumps(data: dict[str, Any]) -> str:
    """Serialize for printing: one line (the C encoder; indenting is 10x slower at 1,000
    features — pipe through ``jq`` to read it)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
