"""Time the shared remote store: a fresh clone's first deploy from a warm remote vs cold.

    python benchmarks/remote.py [--size 1000] [--repeat 3] [--jobs N] [--keep]
                                [--kind redis|folder|http|webdav|turbo] [--sign hmac|ed25519]

A project of SIZE features is generated and the remote of KIND started on 127.0.0.1 (see
servers.py; default a private redis-server without persistence). With ``--sign ed25519`` the
project trusts the scope ``main`` signed by a new key, and every run is main's job. Every row
is one `lockgate deploy PATH --dry-run --json --quiet` subprocess, timed on the wall clock:

    cold, no remote        an empty local store and no remote: the baseline
    cold, filling remote   what CI does on the default branch: validate all, write the remote
    fresh clone, warm      the local store removed (a new CI job, a new teammate), remote warm
    no change, no remote   everything in the local store (median of --repeat)
    no change, remote set  the same with a remote configured: it must not wait for it

The fresh clone is the same folder with its `.lockgate` removed: keys may hold the checkout's
path. Times are printed, never asserted; a row whose hits are not what the scenario means
prints a warning.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from generate import _git, generate
from servers import start, stop

from lockgate.remote.trust import SIGNING_KEY_ENV, new_pair

KINDS = ("redis", "folder", "http", "webdav", "turbo")

SECRET = "benchmark-remote-signing-secret"


def deploy(
    project: Path, jobs: int | None, remote: str | None, extra: dict[str, str]
) -> tuple[float, dict[str, Any]]:
    """One dry-run deploy: its wall time and summary.cache."""
    env = {k: v for k, v in os.environ.items() if k not in ("LOCKGATE_DIR", "LOCKGATE_REMOTE")}
    env["LOCKGATE_REMOTE_KEY"] = SECRET
    env.update(extra)
    args = [sys.executable, "-m", "lockgate", "deploy", str(project), "--dry-run", "--json", "-q"]
    args += ["--remote", remote] if remote else ["--no-remote"]
    if jobs:
        args += ["--jobs", str(jobs)]
    start = time.perf_counter()
    proc = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    try:
        cache: dict[str, Any] = json.loads(proc.stdout)["summary"]["cache"]
    except (ValueError, KeyError):
        print(f"WARNING: exit {proc.returncode}: {proc.stderr.strip()[-300:]}", file=sys.stderr)
        cache = {}
    for line in proc.stderr.splitlines():
        print(f"  lockgate said: {line}", file=sys.stderr)
    return seconds, cache


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000, help="features (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="no-change runs (median)")
    parser.add_argument("--jobs", type=int, help="passed to lockgate as --jobs N")
    parser.add_argument("--keep", action="store_true", help="keep the generated project")
    parser.add_argument("--kind", default="redis", choices=KINDS, help="the remote's kind")
    parser.add_argument("--sign", default="hmac", choices=("hmac", "ed25519"))
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="lockgate-remote-bench-"))
    project = work / "project"
    generate(project, args.size)
    server, url, extra = start(args.kind, work / "server")
    if args.sign == "ed25519":
        private, public = new_pair()
        with (project / "pyproject.toml").open("a") as fh:
            fh.write(f'\n[tool.lockgate.remote]\ntrusted_scopes = ["main"]\n'
                     f'public_keys = ["{public}"]\n')  # fmt: skip
        _git(project, "commit", "--quiet", "--no-gpg-sign", "-am", "trust main's key")
        extra = {**extra, "LOCKGATE_REMOTE_SCOPE": "main", SIGNING_KEY_ENV: private}
    rows: list[tuple[str, float, dict[str, Any], str]] = []

    def row(name: str, remote: str | None, expect: str, fresh: bool) -> None:
        if fresh:
            shutil.rmtree(project / ".lockgate", ignore_errors=True)
        seconds, cache = deploy(project, args.jobs, remote, extra)
        rows.append((name, seconds, cache, expect))

    try:
        row("cold, no remote", None, "misses", True)
        row("cold, filling remote", url, "misses", True)
        row("fresh clone, warm remote", url, "remote", True)
        for name, remote in (("no change, no remote", None), ("no change, remote set", url)):
            times = []
            for _ in range(args.repeat):
                seconds, cache = deploy(project, args.jobs, remote, extra)
                times.append(seconds)
            rows.append((name, statistics.median(times), cache, "local"))
    finally:
        stop(server)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print(
        f"\nlockgate deploy --dry-run at {args.size} features, {args.kind} remote, "
        f"{args.sign} ({os.cpu_count()} cores)\n"
    )
    print(f"{'scenario':<26} {'seconds':>8} {'hits':>6} {'remote':>7} {'misses':>7}")
    for name, seconds, cache, expect in rows:
        hits, remote, misses = (cache.get(k, "-") for k in ("hits", "remote_hits", "misses"))
        print(f"{name:<26} {seconds:>8.2f} {hits:>6} {remote:>7} {misses:>7}")
        wrong = (
            (expect == "remote" and (misses != 0 or remote != hits))
            or (expect == "local" and (misses != 0 or remote != 0))
            or (expect == "misses" and hits != 0)
        )
        if wrong:
            print(f"WARNING: {name}: hits are not what this scenario means", file=sys.stderr)
    if args.keep:
        print(f"\nproject kept in {project}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
