"""What the store holds and what it saved: the numbers behind ``cache stats`` and the report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from lockgate.report.json import iso
from lockgate.store.store import Store

AGE_BUCKETS = [
    ("< 1 hour", 3600),
    ("< 1 day", 86400),
    ("< 1 week", 7 * 86400),
    ("< 30 days", 30 * 86400),
]


def _ages(stamps: list[float]) -> dict[str, int]:
    now = time.time()
    out = {label: 0 for label, _ in AGE_BUCKETS}
    out["older"] = 0
    for stamp in stamps:
        label = next((lbl for lbl, limit in AGE_BUCKETS if now - stamp < limit), "older")
        out[label] += 1
    return out


def stats_data(folder: Path, runs: int) -> dict[str, Any]:
    """Entries and bytes per layer, the last runs with hit rate and time saved, entry ages."""
    store = Store(folder)
    try:
        layers = [{"layer": n, "entries": c, "bytes": b} for n, c, b in store.layer_sizes()]
        recent: list[dict[str, Any]] = [
            {
                "started": iso(started),
                "command": command,
                "hits": hits,
                "remote_hits": remote_hits,
                "misses": misses,
                "hit_rate": round(hits / (hits + misses), 3) if hits + misses else None,
                "seconds": round(seconds, 3),
                "saved": round(saved, 3),
                "mean_score": mean,
                "audited": audited,
                "audit_mismatches": wrong,
            }
            for (
                started,
                command,
                hits,
                misses,
                seconds,
                saved,
                remote_hits,
                mean,
                audited,
                wrong,
            ) in store.runs(runs)
        ]
        ages = _ages(store.result_ages())
        size = store.size_bytes()
    finally:
        store.close()
    hits = sum(r["hits"] for r in recent)
    total = hits + sum(r["misses"] for r in recent)
    audited = sum(r["audited"] for r in recent)
    wrong = sum(r["audit_mismatches"] for r in recent)
    return {
        "store": str(store.path),
        "bytes": size,
        "layers": layers,
        "runs": recent,
        "totals": {
            "runs": len(recent),
            "hits": hits,
            "remote_hits": sum(r["remote_hits"] for r in recent),
            "misses": total - hits,
            "hit_rate": round(hits / total, 3) if total else None,
            "saved": round(sum(r["saved"] for r in recent), 3),
            # audit mode: served results run again, and the share of them found wrong
            "audited": audited,
            "audit_mismatches": wrong,
            "mismatch_rate": round(wrong / audited, 3) if audited else None,
        },
        "ages": ages,
    }
