"""The shared remote store: a real ``redis-server`` on 127.0.0.1, and a shared folder.

One CI clone (the ``ci`` fixture) fills the remote; every test then empties the clone's local
store and runs again, as a fresh clone would. Keys may still hold the checkout's path, so the
"fresh clone" is the same folder with its ``.lockgate`` removed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, copy_project, git, isolated_env, lockgate

from lockgate.remote.parsed import VARIANT
from lockgate.remote.shared import VARIANT as SHARED
from lockgate.remote.tree import VARIANT as TREE

PARSED_VARIANT = VARIANT.encode()
SHARED_VARIANT = SHARED.encode()
TREE_VARIANT = TREE.encode()

REDIS_SERVER = shutil.which("redis-server")
SECRET = "a-shared-secret-of-the-ci-and-its-clones"
WRONG = "another-secret-that-signed-nothing-here"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A redis-server of this test session: an admin connection and two ACL users."""

    port: int
    process: subprocess.Popen[bytes]

    def url(self, user: str = "writer", db: int = 0) -> str:
        return f"redis://{user}:{user}-pw@127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0) -> Any:
        import redis

        return redis.Redis(port=self.port, db=db)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(10)


def start_server(folder: Path) -> Server:
    """redis-server without persistence; ``reader`` may only read (and pick a database),
    ``writer`` may write."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    pytest.importorskip("redis", reason="the redis client: pip install 'lockgate[redis]'")
    port = _free_port()
    process = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(folder),
            "--user", "writer", "on", ">writer-pw", "~*", "+@all",
            "--user", "reader", "on", ">reader-pw", "~*", "+@read", "+select",
        ],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    server = Server(port, process)
    deadline = time.monotonic() + 10
    while True:
        try:
            server.client().ping()
            return server
        except Exception:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise
            time.sleep(0.05)


# Beside the 19 results of the basic project, one record per test file of what it did (which
# features it tests, see keys/owners.py): a clone knows its test owners without running them.
RECORDS = 4
# and one parse fact per Python file (lockgate/remote/parsed.py): a clone parses none of them
PARSED = 12
# and the record of the whole tree's result (lockgate/remote/tree.py), which a clone of the
# same tree is served in one read
TREES = 1


def env(secret: str = SECRET) -> dict[str, str]:
    return {"LOCKGATE_REMOTE_KEY": secret}


def verdicts(run: Run) -> dict[str, tuple[bool, str]]:
    """Every verdict of a run: feature layers and test files of no feature."""
    assert run.code == 0, run.stderr
    out = {
        f"{f['id']}/{name}": (layer["passed"], layer["detail"])
        for f in run.json["features"]
        for name, layer in f["layers"].items()
    }
    out.update((s["file"], (s["passed"], s["detail"])) for s in run.json["suite"])
    return out


def warnings(run: Run) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.strip()]


def entries(server: Server, db: int = 0) -> dict[bytes, Any]:
    """Everything the server holds: each key's hash of variants (or string, as before them)."""
    client = server.client(db)
    return {
        k: client.hgetall(k) if client.type(k) == b"hash" else client.get(k)
        for k in client.keys("*")
    }


def _layer(entry: bytes) -> str:
    """The layer an entry says it holds (read without verifying it)."""
    return str(json.loads(zlib.decompress(entry.partition(b"\n")[2]))["layer"])


def variants(server: Server, db: int = 0) -> dict[tuple[bytes, bytes], bytes]:
    """(hash, variant) → entry, of every variant the server holds."""
    return {
        (k, variant): entry
        for k, held in entries(server, db).items()
        for variant, entry in held.items()
        if variant != b"order"
    }


def shared_facts(server: Server, db: int = 0) -> int:
    """The probe sets and block lists the server holds apart (lockgate/remote/shared.py),
    one key each, beside the entries that name them."""
    return sum(1 for _, variant in variants(server, db) if variant == SHARED_VARIANT)


@dataclass
class CI:
    root: Path
    server: Server
    first: Run  # the run that filled the remote
    fresh: Run  # the same project judged with --no-cache

    def clone(self) -> Path:
        """The clone with an empty local store."""
        shutil.rmtree(self.root / ".lockgate", ignore_errors=True)
        return self.root


@pytest.fixture(scope="module")
def ci(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CI]:
    with isolated_env(tmp_path_factory):
        server = start_server(tmp_path_factory.mktemp("redis"))
        try:
            root = copy_project("basic", tmp_path_factory.mktemp("ci"))
            first = lockgate("align", root, "--json", "-q", "--remote", server.url(), env=env())
            assert first.code == 0, first.stderr
            fresh = lockgate("align", root, "--json", "-q", "--no-cache", env=env())
            yield CI(root, server, first, fresh)
        finally:
            server.stop()


def test_ci_fills_the_remote_and_a_clone_reuses_it(ci: CI) -> None:
    cache = ci.first.json["summary"]["cache"]
    assert cache["remote_hits"] == 0 and cache["remote_errors"] == 0
    assert warnings(ci.first) == []
    assert cache["misses"] == 19
    assert shared_facts(ci.server) > 0
    assert ci.server.client().dbsize() == 19 + RECORDS + PARSED + TREES + shared_facts(ci.server)

    root = ci.clone()
    clone = lockgate("align", root, "--json", "-q", "--remote", ci.server.url("reader"), env=env())
    assert clone.json["summary"]["cache"] == {
        "hits": 19,
        "misses": 0,
        "remote_hits": 19,
        "remote_errors": 0,
    }
    assert verdicts(clone) == verdicts(ci.fresh)
    assert warnings(clone) == []  # nothing new to write: a reader says nothing
    # copied into the local store: the next run needs no remote at all
    local = lockgate("align", root, "--json", "-q", "--no-remote")
    assert local.json["summary"]["cache"]["hits"] == 19
    assert local.json["summary"]["cache"]["remote_hits"] == 0
    stats = lockgate("cache", "stats", root, "--json").json
    assert [r["remote_hits"] for r in stats["runs"]][:2] == [0, 19]
    assert stats["totals"]["remote_hits"] == 19
    table = lockgate("cache", "stats", root, env={"COLUMNS": "300"}).stdout
    assert "19 from the remote" in table

    # the no-change path never touches the network: a remote that is down costs nothing
    dead = f"redis://writer:pw@127.0.0.1:{_free_port()}/0"
    again = lockgate("align", root, "--json", "-q", "--remote", dead, env=env())
    assert again.json["summary"]["cache"]["hits"] == 19
    assert warnings(again) == []


def test_two_shards_in_clones_elsewhere_fill_the_remote_for_a_third_clone(
    ci: CI, tmp_path: Path
) -> None:
    """Keys are relocatable: clones at other paths, each with an empty local store, share one
    remote. Two CI matrix jobs validate a shard each; a third clone then reuses everything."""
    url = ci.server.url(db=3)
    clones = []
    for name in ("shard1", "shard2", "third"):
        dest = tmp_path / name / "checkout"
        dest.parent.mkdir()
        git(tmp_path, "clone", "-q", str(ci.root), str(dest))
        clones.append(dest)
    ran = 0
    for k, root in enumerate(clones[:2], 1):
        shard = lockgate(
            "align", root, "--json", "-q", "--shard", f"{k}/2", "--remote", url, env=env()
        )
        assert shard.code == 0 and warnings(shard) == [], shard.stderr
        cache = shard.json["summary"]["cache"]
        assert cache["hits"] == cache["remote_hits"] == 0, cache
        ran += cache["misses"]
    held = 19 + RECORDS + PARSED + shared_facts(ci.server, 3)
    assert ran == 19 and ci.server.client(3).dbsize() == held

    third = lockgate(
        "align", clones[2], "--json", "-q", "--remote", ci.server.url("reader", 3), env=env()
    )
    assert third.json["summary"]["cache"] == {
        "hits": 19,
        "misses": 0,
        "remote_hits": 19,
        "remote_errors": 0,
    }
    assert verdicts(third) == verdicts(ci.fresh)


def test_a_wrong_key_is_never_served_and_a_reader_writes_nothing(ci: CI) -> None:
    before = entries(ci.server)
    root = ci.clone()
    run = lockgate(
        "align", root, "--json", "-q", "--remote", ci.server.url("reader"), env=env(WRONG)
    )
    cache = run.json["summary"]["cache"]
    refused = 19 + RECORDS + PARSED + TREES
    assert (cache["hits"], cache["remote_hits"], cache["remote_errors"]) == (0, 0, refused)
    assert verdicts(run) == verdicts(ci.fresh)
    lines = warnings(run)
    assert len(lines) == 2, run.stderr
    assert f"{refused} entries failed verification" in lines[0]
    assert "reads only" in lines[1]
    for line in lines:  # the URL is named, its password never
        assert f"127.0.0.1:{ci.server.port}" in line and "reader-pw" not in line
    assert entries(ci.server) == before


def test_a_tampered_entry_is_never_served(ci: CI) -> None:
    from lockgate.remote.entry import seal, unseal
    from lockgate.remote.redis_backend import HASH
    from lockgate.remote.trust import Trust

    client = ci.server.client()
    before = variants(ci.server)
    # one variant per key
    assert len(before) == 19 + RECORDS + PARSED + TREES + shared_facts(ci.server)
    # the results' entries, not the records of test files, the parse facts, the shared facts,
    # nor the tree's record, which would serve the clone whole: taken away for this test
    # (its own tampering: test_remote_tree.py)
    keys = sorted(
        k
        for k, v in before.items()
        if k[1] not in (PARSED_VARIANT, SHARED_VARIANT, TREE_VARIANT) and _layer(v) != "owners"
    )
    assert len(keys) == 19
    trees = [k for k in before if k[1] == TREE_VARIANT]
    assert len(trees) == TREES
    for tree in trees:
        client.hdel(*tree)
    # a verdict edited behind lockgate's back, its MAC kept; and a whole entry moved to
    # another key (which it would pass for if the key were not signed)
    mac, _, payload = before[keys[0]].partition(b"\n")
    body = json.loads(zlib.decompress(payload))
    body["detail"] = body["detail"] + " (edited)"
    client.hset(*keys[0], mac + b"\n" + zlib.compress(json.dumps(body, sort_keys=True).encode()))
    client.hset(*keys[1], before[keys[2]])
    # and one signed with the right secret whose run-time files are not what this clone has:
    # it verifies, fails the reuse check, runs again, and its fresh result is the one kept
    opened = {
        k: unseal(Trust(SECRET.encode()), None, k[0].decode().removeprefix(HASH), before[k])
        for k in keys[2:]
    }
    stale = next(k for k, e in opened.items() if e is not None and e.result.extras)
    entry = opened[stale]
    assert entry is not None
    extras = {path: "0" * 64 for path in entry.result.extras}
    forged = dataclasses.replace(entry, result=dataclasses.replace(entry.result, extras=extras))
    client.hset(*stale, seal(Trust(SECRET.encode()), None, forged))
    try:
        root = ci.clone()
        run = lockgate(
            "align", root, "--json", "-q", "--remote", ci.server.url("reader"), env=env()
        )
        cache = run.json["summary"]["cache"]
        assert (cache["remote_hits"], cache["remote_errors"], cache["misses"]) == (16, 2, 3)
        assert verdicts(run) == verdicts(ci.fresh)
        lines = warnings(run)
        assert len(lines) == 2 and "2 entries failed verification" in lines[0], run.stderr
        assert "reads only" in lines[1]
        # the local store holds the fresh results, not the stale entry: all reused by key
        local = lockgate("align", root, "--json", "-q", "--no-remote", "--retry-failed")
        assert local.json["summary"]["cache"]["misses"] == 0
    finally:
        for key in (*keys[:2], stale, *trees):
            client.hset(*key, before[key])


def test_push_and_pull_and_a_shared_folder(ci: CI, tmp_path: Path) -> None:
    root = ci.clone()
    pulled = lockgate(
        "cache", "pull", root, "--json", "--remote", ci.server.url("reader"), env=env()
    )
    assert pulled.code == 0, pulled.stderr
    assert pulled.json == {"pulled": 19, "already_stored": 0, "remote_errors": 0}
    again = lockgate("cache", "pull", root, "--json", "--remote", ci.server.url(), env=env())
    assert again.json == {"pulled": 0, "already_stored": 19, "remote_errors": 0}
    # the records of the test files came too: the pulled clone runs nothing, not even first
    local = lockgate("align", root, "--no-remote")
    assert "with new inputs first" not in local.stderr and "0 to run" in local.stderr

    # push to an empty database, then to a shared folder, and read the folder back
    pushed = lockgate("cache", "push", root, "--remote", ci.server.url(db=1), env=env())
    assert pushed.code == 0, pushed.stderr
    assert pushed.stdout.startswith("pushed 19 results to redis://writer:***@")
    assert ci.server.client(1).dbsize() == 19 + RECORDS + shared_facts(ci.server, 1)
    refused = lockgate("cache", "push", root, "--remote", ci.server.url("reader", 1), env=env())
    assert refused.code == 1 and "reads only" in refused.stderr
    share = tmp_path / "share"
    share.mkdir()
    folder = share.as_uri()
    pushed = lockgate("cache", "push", root, "--json", "--remote", folder, env=env())
    assert pushed.json == {"pushed": 19, "skipped": 0, "remote_errors": 0}
    written = [p for p in share.rglob("*") if p.is_file()]
    apart = [p for p in written if p.name == SHARED]
    assert len(written) == 19 + RECORDS + len(apart) and apart
    assert not list(share.rglob("*.tmp"))

    root = ci.clone()
    run = lockgate("align", root, "--json", "-q", "--remote", folder, env=env())
    assert run.json["summary"]["cache"]["remote_hits"] == 19
    assert verdicts(run) == verdicts(ci.fresh)
    # read_only in the configuration: the run reads, says so once, and writes nothing
    files = sorted(share.rglob("*"))
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.lockgate.remote]\nread_only = true\n")
    (root / "docs" / "guides" / "cart-service.md").write_text("too short\n")
    try:
        edited = lockgate("align", root, "--json", "-q", "--remote", folder, env=env())
    finally:
        subprocess.run(["git", "checkout", "-q", "."], cwd=root, check=True)
    assert edited.code == 0, edited.stderr
    lines = warnings(edited)
    assert len(lines) == 1 and "reads only (read_only is set)" in lines[0], edited.stderr
    assert edited.json["summary"]["cache"]["misses"] == 1
    assert not edited.layer("CartService", "documented")["passed"]
    assert sorted(share.rglob("*")) == files


def test_a_fresh_clones_deploy_reads_the_secret_scans_too(ci: CI) -> None:
    def fresh_clone() -> Path:
        root = ci.clone()
        pull = lockgate("cache", "pull", root, "--remote", ci.server.url("reader"), env=env())
        assert pull.code == 0, pull.stderr
        return root

    # the layers come from the local store; the scans of the shipped files go to database 2
    root = fresh_clone()
    writer = lockgate(
        "deploy", root, "--dry-run", "--json", "-q", "--remote", ci.server.url(db=2), env=env()
    )
    assert writer.code == 0 and writer.json["deployed"] is False, writer.stderr
    # beside the facts of the files it parsed (`cache pull` brings results, not parse facts)
    scans = ci.server.client(2).dbsize() - PARSED - TREES
    assert scans == writer.json["package"]["files"] - 2  # the two generated files are not read
    # a reader scans nothing: it has nothing to write (no "reads only"), and keeps the scans
    root = fresh_clone()
    reader = lockgate(
        "deploy",
        root,
        "--dry-run",
        "--json",
        "-q",
        "--remote",
        ci.server.url("reader", 2),
        env=env(),
    )
    assert reader.code == 0, reader.stderr
    assert warnings(reader) == []
    assert reader.json["gates"] == writer.json["gates"]
    layers = lockgate("cache", "stats", root, "--json").json["layers"]
    assert {r["layer"]: r["entries"] for r in layers}["secrets"] == scans


def test_the_server_stopped_mid_run_or_between_runs_fails_nothing(ci: CI, tmp_path: Path) -> None:
    server = start_server(tmp_path)
    url = server.url()
    root = ci.clone()
    try:
        run = subprocess.Popen(
            [sys.executable, "-m", "lockgate", "align", str(root), "--json", "-q"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env(), "LOCKGATE_REMOTE": url},
        )
        # stop the server once the run has read from it (the tree's record, the parse facts,
        # the records of its test files, then the results), while the layers it has to run run
        admin = server.client()
        deadline = time.monotonic() + 60
        while admin.info("commandstats").get("cmdstat_mget", {}).get("calls", 0) < 4:
            assert run.poll() is None and time.monotonic() < deadline, "no read arrived"
            time.sleep(0.02)
    finally:
        server.stop()
    stdout, stderr = run.communicate(timeout=300)
    mid = Run(run.returncode, stdout, stderr)
    assert verdicts(mid) == verdicts(ci.fresh)
    lines = warnings(mid)
    assert len(lines) == 1 and "could not be written" in lines[0], stderr
    assert "writer-pw" not in stderr and "writer:***@" in lines[0]

    # between runs, and a server that accepts connections but never answers (slow): the one
    # changed result runs, everything else comes from the local store
    guide = root / "docs" / "guides" / "cart-service.md"
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        slow = f"redis://writer:writer-pw@127.0.0.1:{silent.getsockname()[1]}/0"
        for remote, text in ((url, "too short\n"), (slow, "still too short\n")):
            guide.write_text(text)
            try:
                down = lockgate(
                    "align", root, "--json", "-q", env={**env(), "LOCKGATE_REMOTE": remote}
                )
            finally:
                subprocess.run(["git", "checkout", "-q", "docs"], cwd=root, check=True)
            assert down.code == 0, down.stderr
            cache = down.json["summary"]["cache"]
            assert (cache["misses"], cache["remote_hits"], cache["remote_errors"]) == (1, 0, 1)
            lines = warnings(down)
            assert len(lines) == 1 and "could not be read" in lines[0], down.stderr
            assert "this run goes on from the local store" in lines[0]
            assert "writer-pw" not in down.stderr


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"LOCKGATE_REMOTE": "redis://127.0.0.1:1/0"}, "LOCKGATE_REMOTE_KEY is not set"),
        (
            {"LOCKGATE_REMOTE": "redis://u:hunter2-pw@127.0.0.1:1/0", "LOCKGATE_REMOTE_KEY": "x"},
            "shorter than 16",
        ),
        ({"LOCKGATE_REMOTE": "ftp://u:hunter2-pw@host/x", **env()}, "unknown scheme 'ftp'"),
    ],
    ids=["no-secret", "short-secret", "bad-scheme"],
)
def test_a_remote_lockgate_cannot_trust_is_refused(
    project: Any, setting: dict[str, str], message: str
) -> None:
    root = project("basic")
    for args in (["align", root], ["deploy", root, "--dry-run"], ["cache", "push", root]):
        run = lockgate(*args, env=setting)
        assert run.code == 2, run.stderr
        lines = warnings(run)
        assert len(lines) == 1 and message in lines[0], run.stderr
        assert "hunter2-pw" not in run.stderr
    assert not (root / ".lockgate").exists()  # refused before anything ran
    if "LOCKGATE_REMOTE_KEY" not in setting:  # one full run is enough to show the way out
        assert lockgate("align", root, "--json", "-q", "--no-remote", env=setting).code == 0


def test_a_remote_entry_keeps_its_marks(tmp_path: Path) -> None:
    """A load-dependent failure served from the remote is still marked (and so still expires
    and is reported as such), not turned into a plain failure reused for ever."""
    root = copy_project("basic", tmp_path, commit=False)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("timeout = 20", "timeout = 1"))
    (root / "src/shop/features/slow.py").write_text(
        '"""Slow to import."""\n\nimport time\n\ntime.sleep(4)\n\n\nclass SlowService:\n    pass\n'
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a slow import")
    (tmp_path / "share").mkdir()
    folder = f"file://{tmp_path / 'share'}"
    first = lockgate("align", root, "--json", "-q", "--remote", folder, env=env())
    assert first.layer("SlowService", "imported")["load_dependent"] is True, first.stderr
    shutil.rmtree(root / ".lockgate")
    clone = lockgate("align", root, "--json", "-q", "--remote", folder, env=env())
    assert clone.json["summary"]["cache"]["remote_hits"] > 0, clone.stderr
    served = clone.layer("SlowService", "imported")
    assert served["cached"] is True and served["load_dependent"] is True, served


@pytest.mark.parametrize("kind", ["folder", "redis"])
def test_a_clone_is_served_every_content_the_remote_holds(kind: str, tmp_path: Path) -> None:
    """CI validated the tree with a data file a test reads in two contents: a fresh clone at
    either content is served whole from the remote (a remote that kept one entry per key held
    only the last content's result)."""
    from test_reverts import receipt_project

    root = receipt_project(tmp_path)
    receipt = root / "tests/receipt.txt"
    server = start_server(tmp_path) if kind == "redis" else None
    if server is not None:
        url = server.url()
    else:
        (tmp_path / "share").mkdir()
        url = (tmp_path / "share").as_uri()
    try:
        original = lockgate("align", root, "--json", "-q", "--remote", url, env=env())
        receipt.write_text("VOID\n")
        edited = lockgate("align", root, "--json", "-q", "--remote", url, env=env())
        assert not edited.layer("CartService", "tested")["passed"], edited.stderr
        total = edited.json["summary"]["cache"]["hits"] + edited.json["summary"]["cache"]["misses"]
        for text, before in (("paid\n", original), ("VOID\n", edited)):
            receipt.write_text(text)
            shutil.rmtree(root / ".lockgate")
            clone = lockgate("align", root, "--json", "-q", "--remote", url, env=env())
            assert clone.json["summary"]["cache"] == {
                "hits": total,
                "misses": 0,
                "remote_hits": total,
                "remote_errors": 0,
            }, text
            assert verdicts(clone) == verdicts(before)
            assert warnings(clone) == []
    finally:
        if server is not None:
            server.stop()


def test_entries_stored_before_variants_are_still_served(ci: CI, tmp_path: Path) -> None:
    """A remote filled by a lockgate that kept one entry per key (a string ``lockgate:<key>``,
    a file ``<key[:2]>/<key>``) keeps serving it: upgrading does not make the remote cold."""
    from lockgate.remote.redis_backend import HASH, PREFIX

    root = ci.clone()
    filled = lockgate("align", root, "--json", "-q", "--remote", ci.server.url(db=4), env=env())
    assert filled.code == 0 and warnings(filled) == [], filled.stderr
    share = tmp_path / "share"
    share.mkdir()
    pushed = lockgate("cache", "push", root, "--json", "--remote", share.as_uri(), env=env())
    assert pushed.json["pushed"] == 19, pushed.stdout
    client = ci.server.client(4)
    for name, held in entries(ci.server, 4).items():
        (entry,) = (v for k, v in held.items() if k != b"order")
        client.delete(name)
        client.set(PREFIX + name.decode().removeprefix(HASH), entry)
    for folder in list(share.glob("*/*.v")):
        (entry,) = folder.iterdir()
        entry.rename(folder.with_suffix(""))
        folder.rmdir()

    for url in (ci.server.url("reader", 4), share.as_uri()):
        root = ci.clone()
        run = lockgate("align", root, "--json", "-q", "--remote", url, env=env())
        assert run.json["summary"]["cache"] == {
            "hits": 19,
            "misses": 0,
            "remote_hits": 19,
            "remote_errors": 0,
        }, url
        assert verdicts(run) == verdicts(ci.fresh)
