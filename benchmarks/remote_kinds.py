"""Time writing and reading N remote entries per kind of remote, signed by HMAC or Ed25519.

    python benchmarks/remote_kinds.py [--entries 1000] [--kinds folder,redis,...]

Each kind's server (see servers.py) is started on 127.0.0.1 for the row and stopped after.
Entries are results shaped like a real run's (a few input hashes, a detail line), written in
one ``publish`` and read back in one ``fetch``, as a run does; reading includes verifying every
signature and decoding every entry. Times are printed, never asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from servers import start, stop

from lockgate.remote.client import Remote
from lockgate.remote.entry import Entry
from lockgate.remote.settings import Settings
from lockgate.remote.trust import Trust, decode_key, new_pair
from lockgate.store.store import NewResult

KINDS = ("folder", "redis", "http", "webdav", "turbo", "pack")
SECRET = b"benchmark-remote-signing-secret"


def entries(count: int) -> list[Entry]:
    """``count`` results with distinct keys, each the size of a typical one."""
    out = []
    for i in range(count):
        key = hashlib.blake2b(str(i).encode(), digest_size=16).hexdigest()
        inputs = {f"src/pkg/module_{i}_{j}.py": hashlib.sha256(f"{i}{j}".encode()).hexdigest()
                  for j in range(4)}  # fmt: skip
        result = NewResult(
            key, "tested", f"pkg.features.Feature{i}", True, "3 tests, coverage 97%", 0.25,
            {}, {"files": inputs}, time.time(),
        )  # fmt: skip
        out.append(Entry(result, {}))
    return out


def trusts() -> dict[str, Trust]:
    private, public = new_pair()
    return {
        "hmac": Trust(SECRET),
        "ed25519": Trust(
            None, "main", ("main",), (decode_key(public, "public"),), decode_key(private, "key")
        ),
    }


def measure(kind: str, trust: Trust, batch: list[Entry], folder: Path) -> tuple[float, float, int]:
    """Seconds to write ``batch`` and to read it back, and how many were read."""
    proc, url, env = start("folder" if kind == "pack" else kind, folder)
    os.environ.update(env)
    pack = folder / "results.pack" if kind == "pack" else None
    settings = Settings(url if pack is None else str(pack), trust, False, pack)
    try:
        writer = Remote(settings)
        started = time.perf_counter()
        writer.publish(batch)
        writer.close()  # a pack is written here
        wrote = time.perf_counter() - started
        reader = Remote(settings)
        started = time.perf_counter()
        found = reader.fetch([e.result.key for e in batch])
        reader.close()
        read = time.perf_counter() - started
        for warning in writer.warnings + reader.warnings:
            print(f"  {kind}: {warning}", file=sys.stderr)
    finally:
        stop(proc)
    return wrote, read, len(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--kinds", default=",".join(KINDS))
    args = parser.parse_args(argv)
    batch = entries(args.entries)
    rows = []
    with tempfile.TemporaryDirectory(prefix="lockgate-kinds-") as work:
        for kind in args.kinds.split(","):
            for name, trust in trusts().items():
                wrote, read, found = measure(kind, trust, batch, Path(work) / f"{kind}-{name}")
                rows.append((kind, name, wrote, read, found))
    print(f"\n{args.entries} remote entries, one publish and one fetch ({os.cpu_count()} cores)\n")
    print(f"{'remote':<8} {'signed':<8} {'write s':>8} {'read s':>8} {'read':>6}")
    for kind, name, wrote, read, found in rows:
        print(f"{kind:<8} {name:<8} {wrote:>8.2f} {read:>8.2f} {found:>6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
