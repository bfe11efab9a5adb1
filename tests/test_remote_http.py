"""The HTTP remote against real servers on 127.0.0.1, and the pack file.

A WebDAV server (wsgidav on cheroot, from the test extra) serves both the WebDAV layout and
the default (bazel-remote) one; ``turborepo-remote-cache`` from the npm registry (installed by
scripts/setup-tests.sh into ``.node/``) serves Turborepo's API. Each server starts once for the
module and is stopped by its PID. One CI run fills the WebDAV remote; a push copies the
results to the other two; each test then reads as a fresh clone would (the same folder with
its ``.lockgate`` removed: keys may hold the checkout's path).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Run, copy_project, isolated_env, lockgate

from lockgate.remote.bundle import unpack_variants
from lockgate.remote.shared import VARIANT as SHARED

pytest.importorskip("urllib3", reason="the HTTP remote: pip install 'lockgate[http]'")
pytest.importorskip("wsgidav", reason="the WebDAV server of the test extra")

SECRET = "a-shared-secret-of-the-ci-and-its-clones"
TOKEN = "turbo-token-of-the-ci"
TURBO = Path(__file__).parents[1] / ".node/node_modules/turborepo-remote-cache/dist/cli.js"
ENV = {"LOCKGATE_REMOTE_KEY": SECRET}
RESULTS = 12  # of the docs_config project: small, and quick to judge (no test suite)
PARSED = 2  # its Python files: the CI run publishes what each says (lockgate/remote/parsed.py)
TREES = 1  # and the record of its whole tree's result (lockgate/remote/tree.py)


def _variants(blob: bytes) -> list[str]:
    """The variants a key's blob holds (lockgate/remote/bundle.py)."""
    return [name for name, _ in unpack_variants(blob) or []]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serving(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Wait until ``port`` accepts connections; the server's log if it never does."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    process.kill()
    process.wait(10)
    raise AssertionError(f"the server did not start:\n{log.read_text()}")


def start_webdav(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    """wsgidav with Basic authentication (user ``ci``), serving ``folder/root``."""
    port = _free_port()
    root = folder / "root"
    (root / "ac").mkdir(parents=True)  # bazel-remote's layout has no MKCOL: its folder exists
    config = {
        "host": "127.0.0.1",
        "port": port,
        "server": "cheroot",
        "provider_mapping": {"/": str(root)},
        "http_authenticator": {
            "accept_basic": True,
            "accept_digest": False,
            "default_to_digest": False,
        },
        "simple_dc": {"user_mapping": {"*": {"ci": {"password": "ci-pw"}}}},
        "verbose": 1,
        "logging": {"enable_loggers": []},
    }
    (folder / "wsgidav.json").write_text(json.dumps(config))
    log = folder / "wsgidav.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "wsgidav.server.server_cli", "--config", "wsgidav.json"],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    _serving(process, port, log)
    return process, port


def start_turbo(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    """turborepo-remote-cache with a static token, storing in ``folder``."""
    node = shutil.which("node")
    if node is None or not TURBO.is_file():
        pytest.skip("turborepo-remote-cache is not installed: run scripts/setup-tests.sh")
    port = _free_port()
    log = folder / "turbo.log"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(folder),
        "TURBO_TOKEN": TOKEN,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "STORAGE_PROVIDER": "local",
        "STORAGE_PATH": str(folder / "store"),
        "STORAGE_PATH_USE_TMP_FOLDER": "false",
        "LOG_LEVEL": "warn",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [node, str(TURBO)], cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    _serving(process, port, log)
    return process, port


def stop(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait(10)


@dataclass
class Servers:
    root: Path  # the project, filled into the WebDAV remote by its first run
    first: Run
    webdav: str
    default: str
    turbo: str
    dav_root: Path

    def clone(self) -> Path:
        shutil.rmtree(self.root / ".lockgate", ignore_errors=True)
        return self.root


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    with isolated_env(tmp_path_factory):
        dav_folder = tmp_path_factory.mktemp("webdav")
        dav, dav_port = start_webdav(dav_folder)
        try:
            turbo, turbo_port = start_turbo(tmp_path_factory.mktemp("turbo"))
        except BaseException:
            stop(dav)
            raise
        try:
            root = copy_project("docs_config", tmp_path_factory.mktemp("ci"))
            webdav = f"webdav+http://ci:ci-pw@127.0.0.1:{dav_port}/"
            first = lockgate("align", root, "--json", "-q", "--remote", webdav, env=ENV)
            assert first.code == 0, first.stderr
            yield Servers(
                root,
                first,
                webdav,
                f"http://ci:ci-pw@127.0.0.1:{dav_port}",
                f"turbo+http://127.0.0.1:{turbo_port}?teamId=team_ci",
                dav_folder / "root",
            )
        finally:
            stop(turbo)
            stop(dav)


def verdicts(run: Run) -> dict[str, bool]:
    assert run.code == 0, run.stderr
    return {
        f"{f['id']}/{n}": x["passed"] for f in run.json["features"] for n, x in f["layers"].items()
    }


def test_pack_push_and_pull(servers: Servers, tmp_path: Path) -> None:
    # first in the module: the local store is the one the CI run filled
    pack = tmp_path / "lockgate.pack"
    pushed = lockgate("cache", "push", servers.root, "--json", "--pack", pack, env=ENV)
    assert pushed.json == {"pushed": RESULTS, "skipped": 0, "remote_errors": 0}, pushed.stderr
    assert not list(tmp_path.glob(".*.tmp"))

    root = servers.clone()
    restored = lockgate("cache", "pull", root, "--json", "--pack", pack, env=ENV)
    assert restored.json == {"pulled": RESULTS, "already_stored": 0, "remote_errors": 0}
    local = lockgate("align", root, "--json", "-q", "--no-remote")
    assert local.json["summary"]["cache"]["hits"] == RESULTS
    assert verdicts(local) == verdicts(servers.first)

    # a pack signed under another secret, or cut short: nothing is pulled, nothing fails
    other = lockgate("cache", "pull", servers.clone(), "--json", "--pack", pack,
                     env={"LOCKGATE_REMOTE_KEY": "another-secret-that-signed-nothing"})  # fmt: skip
    assert other.json == {"pulled": 0, "already_stored": 0, "remote_errors": RESULTS}
    pack.write_bytes(pack.read_bytes()[:-10])
    # (a missing file takes the same way as a cut one: an OSError is a RemoteError)
    run = lockgate("cache", "pull", servers.clone(), "--json", "--pack", pack, env=ENV)
    assert run.code == 1 and run.json["pulled"] == 0 and run.json["remote_errors"] == 1
    assert "is damaged" in run.stderr


@pytest.mark.parametrize("kind", ["webdav", "default", "turbo"])
def test_a_fresh_clone_reads_every_result_from_each_server(servers: Servers, kind: str) -> None:
    cache = servers.first.json["summary"]["cache"]
    assert (cache["misses"], cache["remote_errors"]) == (RESULTS, 0), servers.first.stderr
    assert servers.first.stderr.strip() == ""
    # the WebDAV layout: a folder per prefix of the blob's name, made by MKCOL
    blobs = [p for p in servers.dav_root.rglob("*") if p.is_file() and p.parent.name != "ac"]
    # beside them, the probe sets stored apart (lockgate/remote/shared.py), a blob each
    apart = [p for p in blobs if _variants(p.read_bytes()) == [SHARED]]
    assert len(blobs) == RESULTS + PARSED + TREES + len(apart) and apart
    env = {**ENV, "LOCKGATE_REMOTE_TOKEN": TOKEN} if kind == "turbo" else ENV
    url = getattr(servers, kind)
    if kind != "webdav":
        # the CI checkout's results, pulled back first: a clone an earlier test ran there was
        # served the tree's record whole, and holds no result to push
        lockgate("cache", "pull", servers.root, "--remote", servers.webdav, env=ENV)
        pushed = lockgate("cache", "push", servers.root, "--json", "--remote", url, env=env)
        assert pushed.json == {"pushed": RESULTS, "skipped": 0, "remote_errors": 0}, pushed.stderr
    root = servers.clone()
    run = lockgate("align", root, "--json", "-q", "--remote", url, env=env)
    assert run.json["summary"]["cache"] == {
        "hits": RESULTS,
        "misses": 0,
        "remote_hits": RESULTS,
        "remote_errors": 0,
    }, run.stderr
    assert verdicts(run) == verdicts(servers.first)
    assert run.stderr.strip() == ""


def test_a_server_that_is_down_refuses_or_talks_nonsense_fails_nothing(
    servers: Servers,
) -> None:
    root = servers.clone()
    dead = f"http://127.0.0.1:{_free_port()}"
    wrong = servers.turbo  # without its token: 401
    for url in (dead, wrong):
        run = lockgate("cache", "pull", root, "--json", "--remote", url, env=ENV)
        assert run.code == 1, run.stderr
        assert run.json == {"pulled": 0, "already_stored": 0, "remote_errors": 1}
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and "this run goes on from the local store" in lines[0]
        assert "ci-pw" not in run.stderr
    # blobs that are not lockgate's (an error page, say) where entries belong: each is
    # refused unread and counted, one warning says so
    blobs = [p for p in servers.dav_root.rglob("*") if p.is_file() and p.parent.name != "ac"]
    kept = {p: p.read_bytes() for p in blobs}
    for path in blobs:
        path.write_bytes(b"<html>Service temporarily unavailable</html>")
    try:
        run = lockgate("cache", "pull", root, "--json", "--remote", servers.webdav, env=ENV)
    finally:
        for path, data in kept.items():
            path.write_bytes(data)
    assert run.code == 1
    assert run.json == {"pulled": 0, "already_stored": 0, "remote_errors": RESULTS}
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "not an entry of lockgate's" in lines[0], run.stderr
