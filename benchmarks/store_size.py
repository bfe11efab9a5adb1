"""How big the store grows, and what reading it costs, with results' extras stored as pieces.

    python benchmarks/store_size.py [--features 1000] [--runs 2] [--shared 1500]
    python benchmarks/store_size.py --store path/to/.lockgate/store.sqlite

Without ``--store``: writes, through the real store (signed rows), ``--runs`` runs of
``--features`` features, each with imported, instantiated and tested results whose extras see
``--shared`` files alike (a framework's package, as Faker's providers are seen by every
result) and a few of their own, each run a few of those contents changed (a new variant).
Prints the extras as JSON against the file after VACUUM, MB per 1,000 features, and a lookup
of every key. With ``--store``: a copy of that store (schema 9 is migrated on opening),
before and after, the migration's time and a lookup of every stored key. The issue's goal
(issue 21) is at most 20 MB per 1,000 features.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

from lockgate.store.store import NewResult, Store

LAYERS = ("imported", "instantiated", "tested")


def _mb(size: float) -> str:
    return f"{size / 1e6:.1f} MB"


def _row(label: str, value: str) -> None:
    print(f"| {label} | {value} |")


def _file_bytes(folder: Path) -> int:
    """The closed store's file (with a WAL, if one is left)."""
    return sum(path.stat().st_size for path in folder.glob("store.sqlite*"))


def _lookup_seconds(store: Store) -> tuple[float, int]:
    keys = sorted(set(store.result_keys()))
    start = time.perf_counter()
    found = store.lookup(keys)
    return time.perf_counter() - start, sum(len(v) for v in found.values())


def synthetic(features: int, runs: int, shared: int) -> None:
    rng = random.Random(21)
    base = {
        f"pkg/providers/p{n // 3}/__init__.py": f"{rng.getrandbits(128):032x}"
        for n in range(shared)
    }
    base |= {
        f"\x00set:{rng.getrandbits(128):032x}": f"{rng.getrandbits(128):032x}" for _ in range(80)
    }
    extras_bytes = 0
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder))
        for run in range(runs):
            for path in rng.sample(sorted(base), 3):  # a few files edited between runs
                base[path] = f"{rng.getrandbits(128):032x}"
            batch = []
            for n in range(features):
                own = {f"tests/test_f{n}.py": f"{run}{n:031x}", f"pkg/f{n}.py": f"{n:032x}"}
                for layer in LAYERS:
                    extras: dict[str, str | None] = {**base, **own}
                    extras_bytes += len(json.dumps(extras, sort_keys=True))
                    inputs = {"files": {f"pkg/f{n}.py": f"{n:032x}", "pkg/base.py": "b" * 32}}
                    key = f"{layer[:4]}{run}{n:027x}"
                    batch.append(NewResult(key, layer, f"pkg.F{n}", True, "", 0.1, extras, inputs))
            store.write(batch, {}, {}, None)
        store.vacuum()
        seconds, served = _lookup_seconds(store)
        store.close()
        size = _file_bytes(Path(folder))
    print(f"| {features} features, {runs} runs, {shared} shared files | |")
    print("|---|---:|")
    _row("results", str(served))
    _row("extras as JSON (the layout of schema 9)", _mb(extras_bytes))
    _row("store after VACUUM", _mb(size))
    _row("per 1,000 features", _mb(size * 1000 / features))
    _row("lookup of every key", f"{seconds:.2f} s")


def real(path: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "store.sqlite"
        shutil.copy(path, copy)
        before = os.path.getsize(copy)
        start = time.perf_counter()
        store = Store(Path(folder))  # a migrated store is compacted once
        opened = time.perf_counter() - start
        seconds, served = _lookup_seconds(store)
        store.close()
        size = _file_bytes(Path(folder))
    print(f"| {path} | |")
    print("|---|---:|")
    _row("before", _mb(before))
    _row("opening (with the migration)", f"{opened:.1f} s")
    _row("after", _mb(size))
    _row("results served by a lookup of every key", str(served))
    _row("lookup of every key", f"{seconds:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path)
    parser.add_argument("--features", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--shared", type=int, default=1500)
    args = parser.parse_args()
    if args.store:
        real(args.store)
    else:
        synthetic(args.features, args.runs, args.shared)


if __name__ == "__main__":
    main()
